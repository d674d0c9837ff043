//! Markdown → [`Roadmap`]: reads the team's status document.
//!
//! The document's grammar, as the team writes it (see
//! `fixtures/infrastructure-status.md`):
//!
//! ```text
//! # Title
//! ## Current Date: November 2024
//! intro paragraph(s)
//! ## ✅ Currently Implemented Modules     (### group headings, "- **Name** (`path`)" bullets)
//! ## 🚧 Modules Ready but Not Deployed    ("### Name" headings, "**Key**: value" fields)
//! ## 📋 Future Modules to Implement       (same, "### 1. Name")
//! ## 🎯 Next Steps Recommendations        ("### Immediate (This Week)", numbered steps)
//! ## 📊 Current Infrastructure Costs      ("### Development Environment", "- X: ~$15/month")
//! ## 📝 Notes                             ("- " bullets)
//! ## 🔄 Document Updates                  ("- **Created**: November 2024")
//! ---
//! *footer*
//! ```
//!
//! Every line outside code blocks first goes through [`demojibake`], so the
//! mangled emoji of the original document read like clean ones. Anything the
//! grammar has no place for is an error naming its line: nothing is dropped
//! silently.

use std::collections::HashMap;

use super::super::model::{
    ConfigBlock, CostItem, CostRange, CostSection, DocumentMeta, EnvName, Module, ModuleSlug,
    ModuleStatus, NextStep, Phase, Priority, PriorityLevel, Roadmap, Section,
};
use super::linking::{earliest_phases, Linker};
use super::mojibake::demojibake;

/// What the document itself does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The environments the roadmap tracks; every module gets a status in each.
    pub environments: Vec<EnvName>,
}

/// Why a document was refused, with the 1-based line it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

type Result<T> = std::result::Result<T, ParseError>;

/// Parses the status document into a [`Roadmap`].
///
/// Next steps and cost items are linked to modules by the heuristics of the
/// `linking` module; a module's phase, unless a `Phase` field sets it, is the
/// earliest phase of the steps linked to it (not for implemented modules).
pub fn parse_document(text: &str, opts: &ImportOptions) -> Result<Roadmap> {
    let items = tokenize(text)?;
    let mut parser = DocParser::new(opts);
    parser.run(&items)?;
    parser.finish()
}

// ---------------------------------------------------------------------------
// Shared vocabulary (also used by the exporter)
// ---------------------------------------------------------------------------

/// The words that name the usual environments: `(canonical name, words)`.
pub(super) const ENV_WORDS: [(&str, &[&str]); 3] = [
    ("dev", &["dev", "development"]),
    ("staging", &["staging", "stage"]),
    ("prod", &["prod", "production"]),
];

/// The environment a word names: a configured environment's exact name, or a
/// word of [`ENV_WORDS`] (then the configured environment of that family, or
/// the canonical name when none is configured).
pub(super) fn resolve_env(word: &str, configured: &[EnvName]) -> Option<EnvName> {
    let word = word.trim().to_lowercase();
    if let Some(env) = configured.iter().find(|e| e.as_str() == word) {
        return Some(env.clone());
    }
    let (canonical, family) = ENV_WORDS
        .iter()
        .find(|(_, family)| family.contains(&word.as_str()))?;
    configured
        .iter()
        .find(|e| family.contains(&e.as_str()))
        .cloned()
        .or_else(|| EnvName::parse(canonical).ok())
}

/// A module field, written `**Key**: value` in the Ready and Future sections
/// and `- Key: value` under an implemented module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldKey {
    Path,
    Priority,
    Purpose,
    Current,
    Status,
    Environments,
    Phase,
    Owner,
    Target,
    DependsOn,
    Notes,
    Group,
    Features,
    Configuration,
}

impl FieldKey {
    const ALL: [FieldKey; 14] = [
        FieldKey::Path,
        FieldKey::Priority,
        FieldKey::Purpose,
        FieldKey::Current,
        FieldKey::Status,
        FieldKey::Environments,
        FieldKey::Phase,
        FieldKey::Owner,
        FieldKey::Target,
        FieldKey::DependsOn,
        FieldKey::Notes,
        FieldKey::Group,
        FieldKey::Features,
        FieldKey::Configuration,
    ];

    /// As the exporter writes it.
    pub(super) fn label(self) -> &'static str {
        match self {
            FieldKey::Path => "Path",
            FieldKey::Priority => "Priority",
            FieldKey::Purpose => "Purpose",
            FieldKey::Current => "Current",
            FieldKey::Status => "Status",
            FieldKey::Environments => "Environments",
            FieldKey::Phase => "Phase",
            FieldKey::Owner => "Owner",
            FieldKey::Target => "Target",
            FieldKey::DependsOn => "Depends on",
            FieldKey::Notes => "Notes",
            FieldKey::Group => "Group",
            FieldKey::Features => "Features",
            FieldKey::Configuration => "Configuration Needed",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        let lower = raw.trim().to_lowercase();
        let alias = match lower.as_str() {
            "configuration" | "config" => Some(FieldKey::Configuration),
            "environment" => Some(FieldKey::Environments),
            "target date" => Some(FieldKey::Target),
            "dependencies" => Some(FieldKey::DependsOn),
            _ => None,
        };
        alias.or_else(|| {
            Self::ALL
                .into_iter()
                .find(|k| k.label().eq_ignore_ascii_case(&lower))
        })
    }

    /// Whether `- Key: value` under an implemented module is this field (the
    /// path is in the module's bullet, the group in the `###` heading, and
    /// other lines are features).
    fn is_implemented_field(self) -> bool {
        !matches!(self, FieldKey::Path | FieldKey::Group | FieldKey::Features)
    }

    fn expected_list() -> String {
        let labels: Vec<String> = Self::ALL
            .iter()
            .map(|k| format!("{:?}", k.label()))
            .collect();
        labels.join(", ")
    }
}

/// Strips leading whitespace and emoji-like symbols ("✅ Deployed" → "Deployed").
///
/// Symbols are arrows, math and technical signs, dingbats (✅ ✔), emoji,
/// variation selectors, joiners and private-use characters (the Apple logo of a
/// half-repaired emoji); ASCII punctuation and letters stay.
pub(super) fn strip_symbols(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_whitespace() || is_symbol(c))
}

fn is_symbol(c: char) -> bool {
    matches!(
        c,
        '\u{2190}'..='\u{2BFF}'
            | '\u{1F000}'..='\u{1FAFF}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{200D}'
            | '\u{20E3}'
            | '\u{E000}'..='\u{F8FF}'
    )
}

/// The path a "Current" note names in backticks ("Module exists at
/// `modules/codepipeline/`" → "modules/codepipeline/"): the first code span
/// containing a '/'.
pub(super) fn path_in_note(note: &str) -> Option<String> {
    note.split('`')
        .skip(1)
        .step_by(2)
        .map(str::trim)
        .find(|span| span.contains('/'))
        .map(str::to_owned)
}

/// Recognises a phase: "Immediate", "Short Term", "short", "Long term".
fn phase_from_words(text: &str) -> Option<Phase> {
    let lower = text.trim().to_lowercase();
    let lower = lower.strip_suffix(" term").unwrap_or(&lower).trim();
    Phase::parse(lower)
}

// ---------------------------------------------------------------------------
// Lines and code blocks
// ---------------------------------------------------------------------------

#[derive(Debug)]
enum Item {
    /// A line outside code blocks: mojibake repaired, trailing whitespace trimmed.
    Line { no: usize, text: String },
    /// A fenced code block, its body exactly as written (minus the fence's
    /// own indentation).
    Fence {
        no: usize,
        lang: String,
        body: String,
    },
}

impl Item {
    fn no(&self) -> usize {
        match self {
            Item::Line { no, .. } | Item::Fence { no, .. } => *no,
        }
    }

    fn is_blank(&self) -> bool {
        matches!(self, Item::Line { text, .. } if text.trim().is_empty())
    }
}

struct FenceOpen {
    indent: usize,
    marker: char,
    len: usize,
    lang: String,
}

fn fence_open(line: &str) -> Option<FenceOpen> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == marker).count();
    let info = trimmed.get(len..)?;
    if len < 3 || (marker == '`' && info.contains('`')) {
        return None;
    }
    Some(FenceOpen {
        indent,
        marker,
        len,
        lang: info.trim().to_owned(),
    })
}

fn is_fence_close(line: &str, open: &FenceOpen) -> bool {
    let t = line.trim();
    t.chars().count() >= open.len && t.chars().all(|c| c == open.marker)
}

/// Removes up to `indent` leading spaces.
fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.chars().take(indent).take_while(|c| *c == ' ').count();
    line.get(spaces..).unwrap_or(line)
}

fn tokenize(text: &str) -> Result<Vec<Item>> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let raw: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(&line) = raw.get(i) {
        let no = i + 1;
        let Some(open) = fence_open(line) else {
            items.push(Item::Line {
                no,
                text: demojibake(line).trim_end().to_owned(),
            });
            i += 1;
            continue;
        };
        let mut body = Vec::new();
        let mut j = i + 1;
        loop {
            match raw.get(j) {
                None => {
                    let fence: String = std::iter::repeat_n(open.marker, open.len).collect();
                    return Err(ParseError::new(
                        no,
                        format!("code block opened here is never closed: expected a closing {fence} line"),
                    ));
                }
                Some(l) if is_fence_close(l, &open) => break,
                Some(l) => body.push(strip_indent(l, open.indent)),
            }
            j += 1;
        }
        items.push(Item::Fence {
            no,
            lang: open.lang,
            body: body.join("\n"),
        });
        i = j + 1;
    }
    Ok(items)
}

// ---------------------------------------------------------------------------
// Small line grammars
// ---------------------------------------------------------------------------

fn is_title(text: &str) -> bool {
    text == "#" || text.starts_with("# ")
}

/// `## Heading` → "Heading".
fn heading2(text: &str) -> Option<&str> {
    if text == "##" {
        return Some("");
    }
    text.strip_prefix("## ").map(str::trim)
}

/// `### Heading` → "Heading".
fn heading3(text: &str) -> Option<&str> {
    if text == "###" {
        return Some("");
    }
    text.strip_prefix("### ").map(str::trim)
}

/// `- text` / `* text` (any indentation) → (indentation, text).
fn bullet(text: &str) -> Option<(usize, &str)> {
    let t = text.trim_start();
    let indent = text.len() - t.len();
    let content = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))?;
    Some((indent, content.trim()))
}

/// `1. text` / `1) text` → "text".
fn numbered(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = t.get(digits..)?;
    let rest = rest.strip_prefix('.').or_else(|| rest.strip_prefix(')'))?;
    rest.strip_prefix(' ').map(str::trim)
}

/// `**Key**: value` or `**Key:** value` → (key, value).
fn bold_field(text: &str) -> Option<(&str, &str)> {
    let inner = text.trim().strip_prefix("**")?;
    let (key, after) = inner.split_once("**")?;
    if let Some(key) = key.trim_end().strip_suffix(':') {
        return Some((key.trim(), after.trim()));
    }
    Some((key.trim(), after.strip_prefix(':')?.trim()))
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Splits `(a) (b)` into ["a", "b"]; parentheses inside backticks or nested
/// ones do not count.
fn paren_groups(text: &str) -> std::result::Result<Vec<String>, String> {
    let mut groups = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some(inner_start) = rest.strip_prefix('(') else {
            return Err(format!("unexpected text {rest:?}: expected \"(...)\""));
        };
        let mut depth = 1usize;
        let mut in_code = false;
        let mut end = None;
        for (i, c) in inner_start.char_indices() {
            match c {
                '`' => in_code = !in_code,
                '(' if !in_code => depth += 1,
                ')' if !in_code => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Err(format!("unclosed parenthesis in {text:?}"));
        };
        groups.push(inner_start.get(..end).unwrap_or_default().trim().to_owned());
        rest = inner_start.get(end + 1..).unwrap_or_default().trim_start();
    }
    Ok(groups)
}

/// The whole of `text` is one code span: "`modules/alb/`" → "modules/alb/".
fn code_span(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.contains('`')).then(|| inner.trim())
}

// ---------------------------------------------------------------------------
// Field values
// ---------------------------------------------------------------------------

/// "High", "High for Production", "Low for Dev, High for Prod",
/// "High, Low for Dev", "Medium for Dev and Staging".
pub(super) fn parse_priority(raw: &str, envs: &[EnvName]) -> std::result::Result<Priority, String> {
    let mut priority = Priority::default();
    if raw.trim().is_empty() {
        return Ok(priority);
    }
    let unreadable = || {
        format!(
            "cannot read priority {raw:?}: expected a level (Low, Medium or High), optionally per \
             environment, e.g. \"High\", \"High for Production\" or \"Low for Dev, High for Prod\""
        )
    };
    for part in raw.split(',') {
        let part = part.trim();
        let lower = part.to_lowercase();
        let Some(at) = lower.find(" for ") else {
            let level = PriorityLevel::parse(part).ok_or_else(unreadable)?;
            if priority.default.is_some() {
                return Err(format!(
                    "priority {raw:?} gives more than one level for all environments"
                ));
            }
            priority.default = Some(level);
            continue;
        };
        let level = lower
            .get(..at)
            .and_then(PriorityLevel::parse)
            .ok_or_else(unreadable)?;
        let env_words = lower.get(at + " for ".len()..).unwrap_or_default();
        let env_words = env_words.replace(" and ", "&");
        for word in env_words.split(['&', '/']).map(str::trim) {
            let env = resolve_env(word, envs).ok_or_else(|| {
                format!(
                    "unknown environment {word:?} in priority {raw:?}: expected dev/development, \
                     staging/stage, prod/production or one of the roadmap's environments ({})",
                    env_list(envs)
                )
            })?;
            if priority.per_env.insert(env.clone(), level).is_some() {
                return Err(format!(
                    "priority {raw:?} names environment {env} more than once"
                ));
            }
        }
    }
    Ok(priority)
}

fn env_list(envs: &[EnvName]) -> String {
    if envs.is_empty() {
        "none configured".to_owned()
    } else {
        envs.iter()
            .map(EnvName::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// "dev deployed, prod in progress".
fn parse_env_statuses(
    raw: &str,
    envs: &[EnvName],
) -> std::result::Result<Vec<(EnvName, ModuleStatus)>, String> {
    let mut out: Vec<(EnvName, ModuleStatus)> = Vec::new();
    for part in raw.split(',').map(str::trim) {
        let Some((word, status)) = part.split_once(char::is_whitespace) else {
            return Err(format!(
                "cannot read {part:?} in Environments: expected \"<environment> <status>\", e.g. \"dev deployed, prod in progress\""
            ));
        };
        let word = word.trim_end_matches(':');
        let env = resolve_env(word, envs)
            .filter(|e| envs.contains(e))
            .ok_or_else(|| {
                format!(
                    "unknown environment {word:?} in Environments: the roadmap's environments are {}",
                    env_list(envs)
                )
            })?;
        let status = ModuleStatus::parse(status).ok_or_else(|| {
            format!(
                "unknown status {:?} for {env}: expected planned, ready, in progress, deployed or retired",
                status.trim()
            )
        })?;
        if out.iter().any(|(e, _)| e == &env) {
            return Err(format!("environment {env} appears twice in Environments"));
        }
        out.push((env, status));
    }
    Ok(out)
}

/// "Short Term", "short", "None".
fn parse_phase_value(raw: &str) -> std::result::Result<Option<Phase>, String> {
    let v = raw.trim();
    if v.eq_ignore_ascii_case("none") || v == "-" {
        return Ok(None);
    }
    phase_from_words(v).map(Some).ok_or_else(|| {
        format!(
            "unknown phase {v:?}: expected Immediate, Short Term, Medium Term, Long Term or None"
        )
    })
}

fn parse_target_date(raw: &str) -> std::result::Result<Option<String>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let ok = v.len() == 10 && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok();
    if ok {
        Ok(Some(v.to_owned()))
    } else {
        Err(format!(
            "invalid target date {v:?}: expected a date as YYYY-MM-DD"
        ))
    }
}

fn parse_dependencies(raw: &str) -> std::result::Result<Vec<ModuleSlug>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            ModuleSlug::parse(s).map_err(|_| {
                format!("invalid module id {s:?} in Depends on: expected ids such as \"rds, elasticache\"")
            })
        })
        .collect()
}

/// What a `**Path**:` value says.
struct PathValue {
    path: Option<String>,
    note: Option<String>,
    /// "none": the module has no path even if its Current note names one.
    explicit_none: bool,
}

/// "`modules/elasticache/` (needs creation)", "modules/s3/", "(note)", "none".
fn parse_path_value(raw: &str) -> std::result::Result<PathValue, String> {
    let v = raw.trim();
    let (path, rest, explicit_none) = if let Some(after) = v.strip_prefix('`') {
        let (inner, rest) = after
            .split_once('`')
            .ok_or_else(|| format!("unclosed backtick in path {v:?}"))?;
        (non_empty(inner), rest, false)
    } else if v.starts_with('(') {
        (None, v, false)
    } else {
        let (p, rest) = match v.find(" (") {
            Some(at) => (
                v.get(..at).unwrap_or_default(),
                v.get(at..).unwrap_or_default(),
            ),
            None => (v, ""),
        };
        if p.trim().eq_ignore_ascii_case("none") {
            (None, rest, true)
        } else {
            (non_empty(p), rest, false)
        }
    };
    let groups = paren_groups(rest).map_err(|e| format!("cannot read path {v:?}: {e}"))?;
    let note = match groups.as_slice() {
        [] => None,
        [note] => non_empty(note),
        _ => {
            return Err(format!(
                "cannot read path {v:?}: expected \"`path` (note)\""
            ))
        }
    };
    Ok(PathValue {
        path,
        note,
        explicit_none,
    })
}

/// "~$15/month", "~$150-200/month", "$1,200.50".
fn parse_amount(raw: &str) -> Option<CostRange> {
    let mut s = raw.trim();
    for suffix in ["/month", "/mo", " per month", " a month"] {
        let lower = s.to_lowercase();
        if lower.ends_with(suffix) {
            s = s.get(..s.len() - suffix.len())?.trim_end();
            break;
        }
    }
    let s = s.strip_prefix('~').unwrap_or(s).trim();
    let (low, high) = match s.split_once(['-', '–']) {
        Some((low, high)) => (parse_dollars(low)?, parse_dollars(high)?),
        None => {
            let exact = parse_dollars(s)?;
            (exact, exact)
        }
    };
    (low <= high).then_some(CostRange {
        low_cents: low,
        high_cents: high,
    })
}

/// "$1,200.50" → 120050 (cents).
fn parse_dollars(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let s = s.strip_prefix('~').unwrap_or(s).trim_start();
    let s = s.strip_prefix('$').unwrap_or(s).trim_start();
    let (int, frac) = match s.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (s, None),
    };
    let int_ok = int.starts_with(|c: char| c.is_ascii_digit())
        && int.chars().all(|c| c.is_ascii_digit() || c == ',')
        && !int.ends_with(',');
    if !int_ok {
        return None;
    }
    let mut cents: i64 = 0;
    for c in int.chars().filter(char::is_ascii_digit) {
        cents = cents
            .checked_mul(10)?
            .checked_add(i64::from(c.to_digit(10)?))?;
    }
    cents = cents.checked_mul(100)?;
    if let Some(frac) = frac {
        let digits: Vec<u32> = frac
            .chars()
            .map(|c| c.to_digit(10))
            .collect::<Option<_>>()?;
        let extra = match digits.as_slice() {
            [d] => d * 10,
            [d1, d2] => d1 * 10 + d2,
            _ => return None,
        };
        cents = cents.checked_add(i64::from(extra))?;
    }
    Some(cents)
}

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SectionKind {
    Modules(Section),
    NextSteps,
    Costs,
    Notes,
    Updates,
}

impl SectionKind {
    fn name(self) -> &'static str {
        match self {
            SectionKind::Modules(Section::Implemented) => "Currently Implemented Modules",
            SectionKind::Modules(Section::Ready) => "Modules Ready but Not Deployed",
            SectionKind::Modules(Section::Future) => "Future Modules to Implement",
            SectionKind::NextSteps => "Next Steps",
            SectionKind::Costs => "Costs",
            SectionKind::Notes => "Notes",
            SectionKind::Updates => "Document Updates",
        }
    }
}

const EXPECTED_SECTIONS: &str = "\"Current Date: …\", \"Currently Implemented Modules\", \
    \"Modules Ready but Not Deployed\", \"Future Modules to Implement\", \"Next Steps\", \
    \"Costs\", \"Notes\", \"Document Updates\"";

enum Heading<'a> {
    CurrentDate(&'a str),
    Section(SectionKind),
}

/// Recognises a `## ` heading by its keywords, emoji and case aside.
fn classify(heading: &str) -> Option<Heading<'_>> {
    let s = strip_symbols(heading).trim();
    const DATE: &str = "current date";
    if s.get(..DATE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(DATE))
    {
        let value = s.get(DATE.len()..).unwrap_or_default();
        return Some(Heading::CurrentDate(
            value.trim().trim_start_matches(':').trim(),
        ));
    }
    let lower = s.to_lowercase();
    let has_word = |w: &str| lower.split(|c: char| !c.is_alphanumeric()).any(|x| x == w);
    let kind = if lower.contains("currently implemented") {
        SectionKind::Modules(Section::Implemented)
    } else if lower.contains("ready but not deployed") {
        SectionKind::Modules(Section::Ready)
    } else if lower.contains("future modules") {
        SectionKind::Modules(Section::Future)
    } else if lower.contains("next steps") {
        SectionKind::NextSteps
    } else if has_word("costs") || has_word("cost") {
        SectionKind::Costs
    } else if lower.contains("document updates") {
        SectionKind::Updates
    } else if has_word("notes") {
        SectionKind::Notes
    } else {
        return None;
    };
    Some(Heading::Section(kind))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// Between the title and the first section: the intro.
    Preamble,
    Section(SectionKind),
    /// After the closing `---` rule.
    Footer,
}

/// A module being read, with what the finishing step needs.
struct Draft {
    line: usize,
    module: Module,
    seen: Vec<FieldKey>,
    explicit_phase: bool,
    explicit_no_path: bool,
}

struct DocParser<'o> {
    opts: &'o ImportOptions,
    meta: DocumentMeta,
    title_line: usize,
    intro: Vec<String>,
    sections_seen: HashMap<SectionKind, usize>,
    current_date_line: Option<usize>,
    modules: Vec<Draft>,
    slugs: HashMap<ModuleSlug, (usize, String)>,
    steps: Vec<NextStep>,
    phases_seen: HashMap<Phase, usize>,
    costs: Vec<CostSection>,
}

impl<'o> DocParser<'o> {
    fn new(opts: &'o ImportOptions) -> Self {
        Self {
            opts,
            meta: DocumentMeta::default(),
            title_line: 1,
            intro: Vec::new(),
            sections_seen: HashMap::new(),
            current_date_line: None,
            modules: Vec::new(),
            slugs: HashMap::new(),
            steps: Vec::new(),
            phases_seen: HashMap::new(),
            costs: Vec::new(),
        }
    }

    fn envs(&self) -> &'o [EnvName] {
        &self.opts.environments
    }

    fn run(&mut self, items: &[Item]) -> Result<()> {
        let mut rest = items.iter().skip_while(|it| it.is_blank());
        match rest.next() {
            Some(Item::Line { no, text }) if is_title(text) => {
                self.title_line = *no;
                self.meta.title = text.trim_start_matches('#').trim().to_owned();
            }
            Some(item) => {
                return Err(ParseError::new(
                    item.no(),
                    "not an infrastructure status document: expected a '# ' title",
                ))
            }
            None => {
                return Err(ParseError::new(
                    1,
                    "not an infrastructure status document: expected a '# ' title, the document is empty",
                ))
            }
        }

        let mut segment = Segment::Preamble;
        let mut segment_items: Vec<&Item> = Vec::new();
        for item in rest {
            if let Item::Line { no, text } = item {
                let no = *no;
                if let Some(heading) = heading2(text) {
                    if segment == Segment::Footer {
                        if let Some(first) = segment_items.iter().find(|it| !it.is_blank()) {
                            return Err(ParseError::new(
                                no,
                                format!(
                                    "unexpected section after the closing '---' rule and its text (line {})",
                                    first.no()
                                ),
                            ));
                        }
                    } else {
                        self.finish_segment(segment, &segment_items)?;
                    }
                    segment_items.clear();
                    segment = self.open_section(no, heading, segment)?;
                    continue;
                }
                if is_title(text) {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected second title {:?}: the title (line {}) is the only '# ' heading",
                            text.trim_start_matches('#').trim(),
                            self.title_line
                        ),
                    ));
                }
                if text.trim() == "---" && segment != Segment::Footer {
                    self.finish_segment(segment, &segment_items)?;
                    segment_items.clear();
                    segment = Segment::Footer;
                    continue;
                }
            }
            segment_items.push(item);
        }
        self.finish_segment(segment, &segment_items)
    }

    /// Handles a `## ` heading; returns the segment that follows it.
    fn open_section(&mut self, no: usize, heading: &str, segment: Segment) -> Result<Segment> {
        match classify(heading) {
            None => Err(ParseError::new(
                no,
                format!(
                    "unknown section {:?}: expected one of {EXPECTED_SECTIONS}",
                    strip_symbols(heading)
                ),
            )),
            Some(Heading::CurrentDate(date)) => {
                if let Some(first) = self.current_date_line {
                    return Err(ParseError::new(
                        no,
                        format!("duplicate \"Current Date\" heading (first at line {first})"),
                    ));
                }
                if segment != Segment::Preamble {
                    return Err(ParseError::new(
                        no,
                        "\"Current Date\" must come before the first section",
                    ));
                }
                self.current_date_line = Some(no);
                self.meta.current_date = non_empty(date);
                Ok(Segment::Preamble)
            }
            Some(Heading::Section(kind)) => {
                if let Some(first) = self.sections_seen.insert(kind, no) {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "duplicate section {:?} (first at line {first})",
                            kind.name()
                        ),
                    ));
                }
                Ok(Segment::Section(kind))
            }
        }
    }

    fn finish_segment(&mut self, segment: Segment, items: &[&Item]) -> Result<()> {
        match segment {
            Segment::Preamble => self.parse_preamble(items),
            Segment::Footer => self.parse_footer(items),
            Segment::Section(SectionKind::Modules(Section::Implemented)) => {
                self.parse_implemented(items)
            }
            Segment::Section(SectionKind::Modules(section)) => {
                self.parse_headed_modules(section, items)
            }
            Segment::Section(SectionKind::NextSteps) => self.parse_next_steps(items),
            Segment::Section(SectionKind::Costs) => self.parse_costs(items),
            Segment::Section(SectionKind::Notes) => self.parse_notes(items),
            Segment::Section(SectionKind::Updates) => self.parse_updates(items),
        }
    }

    fn parse_preamble(&mut self, items: &[&Item]) -> Result<()> {
        let mut paragraph: Vec<&str> = Vec::new();
        for item in items {
            match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block before the first section",
                    ))
                }
                Item::Line { no, text } if text.trim_start().starts_with('#') => {
                    return Err(ParseError::new(
                        *no,
                        format!(
                            "unexpected heading {:?} before the first section: sections are '## ' headings",
                            text.trim()
                        ),
                    ))
                }
                Item::Line { text, .. } if text.trim().is_empty() => {
                    if !paragraph.is_empty() {
                        self.intro.push(paragraph.join("\n"));
                        paragraph.clear();
                    }
                }
                Item::Line { text, .. } => paragraph.push(text.trim()),
            }
        }
        if !paragraph.is_empty() {
            self.intro.push(paragraph.join("\n"));
        }
        Ok(())
    }

    fn parse_footer(&mut self, items: &[&Item]) -> Result<()> {
        let mut lines: Vec<&str> = Vec::new();
        for item in items {
            match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block after the closing '---' rule",
                    ))
                }
                Item::Line { no, text } if text.trim_start().starts_with('#') => {
                    return Err(ParseError::new(
                        *no,
                        format!(
                            "unexpected heading {:?} after the closing '---' rule",
                            text.trim()
                        ),
                    ))
                }
                Item::Line { text, .. } if !text.trim().is_empty() => lines.push(text.trim()),
                Item::Line { .. } => {}
            }
        }
        let text = lines.join("\n");
        let mut footer = text.as_str();
        for marker in ['*', '_'] {
            if let Some(inner) = footer
                .strip_prefix(marker)
                .and_then(|f| f.strip_suffix(marker))
            {
                footer = inner;
                break;
            }
        }
        self.meta.footer = non_empty(footer);
        Ok(())
    }

    // --- modules -----------------------------------------------------------

    fn new_draft(&self, line: usize, name: &str, section: Section, group: Option<String>) -> Draft {
        let statuses = self
            .envs()
            .iter()
            .map(|e| (e.clone(), section.default_status(e)))
            .collect();
        Draft {
            line,
            module: Module {
                slug: ModuleSlug::derive(name, None),
                name: name.to_owned(),
                section,
                group,
                position: 0,
                path: None,
                path_note: None,
                purpose: None,
                features: Vec::new(),
                priority: Priority::default(),
                status_note: None,
                current_note: None,
                config: None,
                statuses,
                phase: None,
                owner: None,
                target_date: None,
                notes: None,
                dependencies: Vec::new(),
            },
            seen: Vec::new(),
            explicit_phase: false,
            explicit_no_path: false,
        }
    }

    /// Derives the slug, checks it is unique and stores the module.
    fn finish_module(&mut self, draft: Option<Draft>) -> Result<()> {
        let Some(mut draft) = draft else {
            return Ok(());
        };
        let m = &mut draft.module;
        if m.path.is_none() && !draft.explicit_no_path && m.section != Section::Implemented {
            m.path = m.current_note.as_deref().and_then(path_in_note);
        }
        m.slug = ModuleSlug::derive(&m.name, m.path.as_deref());
        if m.slug.as_str().is_empty() {
            return Err(ParseError::new(
                draft.line,
                format!(
                    "module {:?} has no letters or digits to derive its id from",
                    m.name
                ),
            ));
        }
        if let Some((line, name)) = self.slugs.get(&m.slug) {
            return Err(ParseError::new(
                draft.line,
                format!(
                    "duplicate module {:?}: its id {:?} is already used by {name:?} (line {line})",
                    m.name,
                    m.slug.as_str()
                ),
            ));
        }
        m.position = u32::try_from(self.modules.len()).unwrap_or(u32::MAX);
        self.slugs
            .insert(m.slug.clone(), (draft.line, m.name.clone()));
        self.modules.push(draft);
        Ok(())
    }

    /// Applies one field to the module being read.
    fn apply_field(
        &self,
        draft: &mut Draft,
        key: FieldKey,
        value: &str,
        line: usize,
    ) -> Result<()> {
        if draft.seen.contains(&key) {
            return Err(ParseError::new(
                line,
                format!(
                    "duplicate field {:?} in module {:?}",
                    key.label(),
                    draft.module.name
                ),
            ));
        }
        draft.seen.push(key);
        let at = |message: String| ParseError::new(line, message);
        let m = &mut draft.module;
        match key {
            FieldKey::Path => {
                let v = parse_path_value(value).map_err(at)?;
                m.path = v.path;
                m.path_note = v.note;
                draft.explicit_no_path = v.explicit_none;
            }
            FieldKey::Priority => m.priority = parse_priority(value, self.envs()).map_err(at)?,
            FieldKey::Purpose => m.purpose = non_empty(value),
            FieldKey::Current => m.current_note = non_empty(value),
            FieldKey::Status => m.status_note = non_empty(strip_symbols(value)),
            FieldKey::Environments => {
                for (env, status) in parse_env_statuses(value, self.envs()).map_err(at)? {
                    m.statuses.insert(env, status);
                }
            }
            FieldKey::Phase => {
                m.phase = parse_phase_value(value).map_err(at)?;
                draft.explicit_phase = true;
            }
            FieldKey::Owner => m.owner = non_empty(value),
            FieldKey::Target => m.target_date = parse_target_date(value).map_err(at)?,
            FieldKey::DependsOn => m.dependencies = parse_dependencies(value).map_err(at)?,
            FieldKey::Notes => m.notes = non_empty(value),
            FieldKey::Group => m.group = non_empty(value),
            FieldKey::Features | FieldKey::Configuration => {
                if !value.trim().is_empty() {
                    return Err(at(format!(
                        "{:?} takes no value on its line: the {} follow on the next lines",
                        key.label(),
                        if key == FieldKey::Features {
                            "features (\"- \" bullets)"
                        } else {
                            "configuration (a ``` code block)"
                        }
                    )));
                }
            }
        }
        Ok(())
    }

    /// "Currently Implemented": `### Group`, `- **Name** (`path`)` with
    /// indented sub-bullets, or `- **Name**: ✅ status`.
    fn parse_implemented(&mut self, items: &[&Item]) -> Result<()> {
        let mut group: Option<String> = None;
        let mut current: Option<Draft> = None;
        let mut pending_config: Option<usize> = None;
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, lang, body } => {
                    match (pending_config.take(), current.as_mut()) {
                        (Some(_), Some(draft)) => {
                            draft.module.config = Some(ConfigBlock {
                                lang: lang.clone(),
                                body: body.clone(),
                            })
                        }
                        _ => {
                            return Err(ParseError::new(
                                *no,
                                "unexpected code block: a configuration block follows a \"- Configuration Needed:\" line of a module",
                            ))
                        }
                    }
                    continue;
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            if let Some(line) = pending_config {
                return Err(ParseError::new(
                    line,
                    "expected a ``` code block after \"Configuration Needed:\"",
                ));
            }
            if let Some(name) = heading3(text) {
                self.finish_module(current.take())?;
                if name.is_empty() {
                    return Err(ParseError::new(no, "empty group heading"));
                }
                group = Some(name.to_owned());
                continue;
            }
            if text.starts_with('#') {
                return Err(ParseError::new(
                    no,
                    format!("unexpected heading {text:?}: expected a '### ' group heading"),
                ));
            }
            match bullet(text) {
                Some((0, content)) => {
                    self.finish_module(current.take())?;
                    current = Some(self.implemented_header(no, content, group.clone())?);
                }
                Some((_, content)) => {
                    let Some(draft) = current.as_mut() else {
                        return Err(ParseError::new(
                            no,
                            format!("{content:?} comes before any module: expected a module bullet '- **Name** (`path`)' first"),
                        ));
                    };
                    let field = content
                        .split_once(':')
                        .and_then(|(k, v)| Some((FieldKey::parse(k)?, v)))
                        .or_else(|| {
                            bold_field(content).and_then(|(k, v)| Some((FieldKey::parse(k)?, v)))
                        })
                        .filter(|(k, _)| k.is_implemented_field());
                    match field {
                        Some((FieldKey::Configuration, value)) => {
                            self.apply_field(draft, FieldKey::Configuration, value, no)?;
                            pending_config = Some(no);
                        }
                        Some((key, value)) => self.apply_field(draft, key, value, no)?,
                        None if content.is_empty() => {
                            return Err(ParseError::new(no, "empty feature bullet"))
                        }
                        None => draft.module.features.push(content.to_owned()),
                    }
                }
                None => {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected text {:?} in \"Currently Implemented Modules\": expected a '### ' group, \
                             a module bullet '- **Name** (`path`)' or an indented '- ' line under a module",
                            text.trim()
                        ),
                    ))
                }
            }
        }
        if let Some(line) = pending_config {
            return Err(ParseError::new(
                line,
                "expected a ``` code block after \"Configuration Needed:\"",
            ));
        }
        self.finish_module(current)
    }

    /// `**Name** (`path`) (note)` or `**Name**: ✅ status`.
    fn implemented_header(&self, no: usize, content: &str, group: Option<String>) -> Result<Draft> {
        let expected = "expected a module bullet '- **Name** (`path`)' or '- **Name**: ✅ status'";
        let Some((name, rest)) = content.strip_prefix("**").and_then(|c| c.split_once("**")) else {
            return Err(ParseError::new(
                no,
                format!("unexpected bullet {content:?}: {expected}"),
            ));
        };
        let (name, rest) = match name.trim().strip_suffix(':') {
            Some(name) => (name.trim(), format!(":{rest}")),
            None => (name.trim(), rest.trim().to_owned()),
        };
        if name.is_empty() {
            return Err(ParseError::new(
                no,
                format!("empty module name: {expected}"),
            ));
        }
        let mut draft = self.new_draft(no, name, Section::Implemented, group);
        if let Some(status) = rest.strip_prefix(':') {
            draft.module.status_note = non_empty(strip_symbols(status));
            draft.seen.push(FieldKey::Status);
            return Ok(draft);
        }
        let groups = paren_groups(&rest).map_err(|e| {
            ParseError::new(no, format!("cannot read module {name:?}: {e}; {expected}"))
        })?;
        let (path, note) = match groups.as_slice() {
            [] => (None, None),
            [first] => match code_span(first) {
                Some(path) => (non_empty(path), None),
                None => (None, non_empty(first)),
            },
            [first, note] => match code_span(first) {
                Some(path) => (non_empty(path), non_empty(note)),
                None => {
                    return Err(ParseError::new(
                        no,
                        format!(
                        "cannot read module {name:?}: the path goes in backticks: (`modules/x/`)"
                    ),
                    ))
                }
            },
            _ => {
                return Err(ParseError::new(
                    no,
                    format!("cannot read module {name:?}: {expected}"),
                ))
            }
        };
        draft.module.path = path;
        draft.module.path_note = note;
        Ok(draft)
    }

    /// "Ready" and "Future": `### [1.] Name` then `**Key**: value` fields,
    /// `- ` bullets after `**Features**:`, a code block after
    /// `**Configuration Needed**:`.
    fn parse_headed_modules(&mut self, section: Section, items: &[&Item]) -> Result<()> {
        let section_name = SectionKind::Modules(section).name();
        let mut current: Option<Draft> = None;
        let mut in_features = false;
        let mut pending_config: Option<usize> = None;
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, lang, body } => {
                    match (pending_config.take(), current.as_mut()) {
                        (Some(_), Some(draft)) => {
                            draft.module.config = Some(ConfigBlock {
                                lang: lang.clone(),
                                body: body.clone(),
                            })
                        }
                        _ => {
                            return Err(ParseError::new(
                                *no,
                                "unexpected code block: a configuration block follows a module's \"**Configuration Needed**:\" line",
                            ))
                        }
                    }
                    in_features = false;
                    continue;
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            if let Some(line) = pending_config {
                return Err(ParseError::new(
                    line,
                    "expected a ``` code block after \"**Configuration Needed**:\"",
                ));
            }
            if let Some(heading) = heading3(text) {
                self.finish_module(current.take())?;
                in_features = false;
                let name = strip_order_number(heading);
                if name.is_empty() {
                    return Err(ParseError::new(
                        no,
                        "empty module heading: expected '### Name'",
                    ));
                }
                current = Some(self.new_draft(no, name, section, None));
                continue;
            }
            if text.starts_with('#') {
                return Err(ParseError::new(
                    no,
                    format!("unexpected heading {text:?}: modules are '### ' headings"),
                ));
            }
            if let Some((key, value)) = bold_field(text) {
                let Some(draft) = current.as_mut() else {
                    return Err(ParseError::new(
                        no,
                        format!("module field {key:?} comes before any module: expected a '### Name' heading first"),
                    ));
                };
                let Some(field) = FieldKey::parse(key) else {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unknown field {key:?} in module {:?}: expected one of {}",
                            draft.module.name,
                            FieldKey::expected_list()
                        ),
                    ));
                };
                self.apply_field(draft, field, value, no)?;
                in_features = field == FieldKey::Features;
                if field == FieldKey::Configuration {
                    pending_config = Some(no);
                }
                continue;
            }
            if let Some((_, content)) = bullet(text) {
                match current.as_mut() {
                    Some(draft) if in_features => {
                        if content.is_empty() {
                            return Err(ParseError::new(no, "empty feature bullet"));
                        }
                        draft.module.features.push(content.to_owned());
                    }
                    Some(draft) => {
                        return Err(ParseError::new(
                            no,
                            format!(
                                "unexpected bullet {content:?} in module {:?}: feature bullets follow a \"**Features**:\" line",
                                draft.module.name
                            ),
                        ))
                    }
                    None => {
                        return Err(ParseError::new(
                            no,
                            format!("bullet {content:?} comes before any module: expected a '### Name' heading first"),
                        ))
                    }
                }
                continue;
            }
            return Err(ParseError::new(
                no,
                format!(
                    "unexpected text {:?} in {section_name:?}: expected a '### Name' heading, a '**Field**: value' line or a feature bullet",
                    text.trim()
                ),
            ));
        }
        if let Some(line) = pending_config {
            return Err(ParseError::new(
                line,
                "expected a ``` code block after \"**Configuration Needed**:\"",
            ));
        }
        self.finish_module(current)
    }

    // --- next steps, costs, notes, updates ---------------------------------

    fn parse_next_steps(&mut self, items: &[&Item]) -> Result<()> {
        let mut phase: Option<Phase> = None;
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block in \"Next Steps\"",
                    ))
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            if let Some(heading) = heading3(text) {
                let (title, horizon) = split_trailing_parens(heading);
                let p = phase_from_words(title).ok_or_else(|| {
                    ParseError::new(
                        no,
                        format!("unknown phase {title:?}: expected Immediate, Short Term, Medium Term or Long Term"),
                    )
                })?;
                if let Some(first) = self.phases_seen.insert(p, no) {
                    return Err(ParseError::new(
                        no,
                        format!("duplicate phase {:?} (first at line {first})", p.title()),
                    ));
                }
                if let Some(horizon) = horizon.and_then(non_empty) {
                    self.meta.phase_horizons.insert(p, horizon);
                }
                phase = Some(p);
                continue;
            }
            let Some(content) = numbered(text).or_else(|| bullet(text).map(|(_, c)| c)) else {
                return Err(ParseError::new(
                    no,
                    format!(
                        "unexpected text {:?} in \"Next Steps\": expected a phase heading such as '### Immediate (This Week)' or a numbered step '1. …'",
                        text.trim()
                    ),
                ));
            };
            let Some(phase) = phase else {
                return Err(ParseError::new(
                    no,
                    "step comes before any phase heading: expected '### Immediate (This Week)' or similar first",
                ));
            };
            let (step_text, completed) = parse_step(content);
            if step_text.is_empty() {
                return Err(ParseError::new(no, "empty step"));
            }
            self.steps.push(NextStep {
                phase,
                text: step_text,
                completed,
                module: None,
            });
        }
        Ok(())
    }

    fn parse_costs(&mut self, items: &[&Item]) -> Result<()> {
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(*no, "unexpected code block in \"Costs\""))
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            if let Some(heading) = heading3(text) {
                let section =
                    parse_cost_heading(heading, self.envs()).map_err(|m| ParseError::new(no, m))?;
                self.costs.push(section);
                continue;
            }
            let Some((_, content)) = bullet(text) else {
                return Err(ParseError::new(
                    no,
                    format!(
                        "unexpected text {:?} in \"Costs\": expected an environment heading such as '### Development Environment' or a line '- Component: ~$15/month'",
                        text.trim()
                    ),
                ));
            };
            let Some(section) = self.costs.last_mut() else {
                return Err(ParseError::new(
                    no,
                    "cost line comes before any environment heading: expected '### Development Environment' or similar first",
                ));
            };
            match parse_cost_line(content).map_err(|m| ParseError::new(no, m))? {
                CostLine::Total(total) => {
                    if section.stated_total.is_some() {
                        return Err(ParseError::new(
                            no,
                            format!("second total for {:?}", section.title),
                        ));
                    }
                    section.stated_total = Some(total);
                }
                CostLine::Item(item) => section.items.push(item),
            }
        }
        Ok(())
    }

    fn parse_notes(&mut self, items: &[&Item]) -> Result<()> {
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(*no, "unexpected code block in \"Notes\""))
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            match bullet(text) {
                Some((_, note)) if !note.is_empty() => self.meta.notes.push(note.to_owned()),
                _ => {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected text {:?} in \"Notes\": expected '- ' bullets",
                            text.trim()
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    fn parse_updates(&mut self, items: &[&Item]) -> Result<()> {
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block in \"Document Updates\"",
                    ))
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            let entry = bullet(text).and_then(|(_, c)| {
                bold_field(c).or_else(|| c.split_once(':').map(|(k, v)| (k.trim(), v.trim())))
            });
            match entry {
                Some((key, value)) if !key.is_empty() => self
                    .meta
                    .updates
                    .push((key.to_owned(), value.to_owned())),
                _ => {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected text {:?} in \"Document Updates\": expected '- **Created**: November 2024' lines",
                            text.trim()
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    // --- the whole ---------------------------------------------------------

    fn finish(self) -> Result<Roadmap> {
        let has_modules = Section::ALL
            .into_iter()
            .any(|s| self.sections_seen.contains_key(&SectionKind::Modules(s)));
        if !has_modules {
            return Err(ParseError::new(
                self.title_line,
                "not an infrastructure status document: no module section (expected \"## Currently Implemented Modules\", \
                 \"## Modules Ready but Not Deployed\" or \"## Future Modules to Implement\")",
            ));
        }
        let mut meta = self.meta;
        meta.intro = (!self.intro.is_empty()).then(|| self.intro.join("\n\n"));

        let mut modules: Vec<Module> = Vec::with_capacity(self.modules.len());
        let mut explicit_phase: Vec<bool> = Vec::with_capacity(self.modules.len());
        for draft in self.modules {
            explicit_phase.push(draft.explicit_phase);
            modules.push(draft.module);
        }

        let linker = Linker::new(&modules);
        let mut steps = self.steps;
        for step in &mut steps {
            step.module = linker.link_step(&step.text);
        }
        // Grouped by phase, document order within a phase.
        steps.sort_by_key(|s| s.phase);
        let mut costs = self.costs;
        for item in costs.iter_mut().flat_map(|c| c.items.iter_mut()) {
            item.module = linker.link_cost(&item.component);
        }

        let phases = earliest_phases(steps.iter().map(|s| (s.phase, s.module.as_ref())));
        for (module, explicit) in modules.iter_mut().zip(explicit_phase) {
            if !explicit && module.section != Section::Implemented {
                module.phase = phases.get(&module.slug).copied();
            }
        }

        Ok(Roadmap {
            meta,
            environments: self.opts.environments.clone(),
            modules,
            next_steps: steps,
            costs,
        })
    }
}

/// "1. CloudFront CDN Module" → "CloudFront CDN Module".
fn strip_order_number(heading: &str) -> &str {
    let digits = heading.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = heading
            .get(digits..)
            .and_then(|r| r.strip_prefix('.').or_else(|| r.strip_prefix(')')))
            .filter(|r| r.starts_with(char::is_whitespace))
        {
            return rest.trim();
        }
    }
    heading.trim()
}

/// "Immediate (This Week)" → ("Immediate", Some("This Week")).
fn split_trailing_parens(text: &str) -> (&str, Option<&str>) {
    let t = text.trim();
    if let Some(inner) = t.strip_suffix(')') {
        if let Some(open) = inner.rfind('(') {
            return (
                inner.get(..open).unwrap_or_default().trim(),
                inner.get(open + 1..).map(str::trim),
            );
        }
    }
    (t, None)
}

/// "✅ Fix ALB health checks (COMPLETED)" → ("Fix ALB health checks", true).
fn parse_step(content: &str) -> (String, bool) {
    let text = strip_symbols(content);
    let marker = content
        .get(..content.len() - text.len())
        .unwrap_or_default();
    let mut completed = marker.contains(['✅', '✔', '☑']);
    let mut text = text.trim();
    const DONE: &str = "(completed)";
    if text.len() >= DONE.len() {
        let cut = text.len() - DONE.len();
        if let (Some(head), Some(tail)) = (text.get(..cut), text.get(cut..)) {
            if tail.eq_ignore_ascii_case(DONE) {
                completed = true;
                text = head.trim_end();
            }
        }
    }
    (text.to_owned(), completed)
}

/// "Production Environment (Projected)" → (prod, "Production Environment", true).
///
/// The environment is the last word of the heading that names one (see
/// [`resolve_env`]).
pub(super) fn parse_cost_heading(
    heading: &str,
    envs: &[EnvName],
) -> std::result::Result<CostSection, String> {
    const PROJECTED: &str = "(projected)";
    let lower = heading.to_lowercase();
    let (title, projected) = match lower.find(PROJECTED) {
        Some(at) if lower.len() == heading.len() => {
            let before = heading.get(..at).unwrap_or_default();
            let after = heading.get(at + PROJECTED.len()..).unwrap_or_default();
            (
                format!("{} {}", before.trim(), after.trim())
                    .trim()
                    .to_owned(),
                true,
            )
        }
        _ => (heading.trim().to_owned(), false),
    };
    let environment = title
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| !w.is_empty())
        .filter_map(|w| resolve_env(w, envs))
        .next_back()
        .ok_or_else(|| {
            format!(
                "cannot tell which environment the costs {heading:?} are for: expected a heading naming \
                 dev/development, staging/stage, prod/production or one of the roadmap's environments ({})",
                env_list(envs)
            )
        })?;
    Ok(CostSection {
        environment,
        title,
        projected,
        items: Vec::new(),
        stated_total: None,
    })
}

enum CostLine {
    Total(CostRange),
    Item(CostItem),
}

/// "ECS Fargate (3-10 tasks): ~$150-200/month" or "**Total**: ~$70-80/month".
fn parse_cost_line(content: &str) -> std::result::Result<CostLine, String> {
    let unreadable = || {
        format!(
            "cannot read cost line {content:?}: expected \"Component: ~$15/month\", \
             \"Component (remark): ~$150-200/month\" or \"**Total**: ~$70-80/month\""
        )
    };
    let (left, right) = content.rsplit_once(':').ok_or_else(unreadable)?;
    let amount = parse_amount(right).ok_or_else(|| {
        format!(
            "cannot read amount {:?} in cost line {content:?}: expected e.g. \"~$15/month\", \"~$150-200/month\" or \"$1,200.50/month\"",
            right.trim()
        )
    })?;
    let left = left.trim();
    if let Some(bold) = left.strip_prefix("**").and_then(|l| l.strip_suffix("**")) {
        return if bold
            .trim()
            .trim_end_matches(':')
            .eq_ignore_ascii_case("total")
        {
            Ok(CostLine::Total(amount))
        } else {
            Err(unreadable())
        };
    }
    let (component, qualifier) = split_trailing_parens(left);
    if component.is_empty() {
        return Err(unreadable());
    }
    Ok(CostLine::Item(CostItem {
        component: component.to_owned(),
        qualifier: qualifier.and_then(non_empty),
        monthly: amount,
        module: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envs() -> Vec<EnvName> {
        vec![
            EnvName::parse("dev").unwrap(),
            EnvName::parse("prod").unwrap(),
        ]
    }

    fn env(name: &str) -> EnvName {
        EnvName::parse(name).unwrap()
    }

    #[test]
    fn priorities() {
        let p = parse_priority("High", &envs()).unwrap();
        assert_eq!(p.default, Some(PriorityLevel::High));
        assert!(p.per_env.is_empty());

        let p = parse_priority("High for Production", &envs()).unwrap();
        assert_eq!(p.default, None);
        assert_eq!(p.per_env.get(&env("prod")), Some(&PriorityLevel::High));

        let p = parse_priority("Low for Dev, Medium for Prod", &envs()).unwrap();
        assert_eq!(p.per_env.get(&env("dev")), Some(&PriorityLevel::Low));
        assert_eq!(p.per_env.get(&env("prod")), Some(&PriorityLevel::Medium));

        let p = parse_priority("high, low for development and staging", &envs()).unwrap();
        assert_eq!(p.default, Some(PriorityLevel::High));
        assert_eq!(p.per_env.get(&env("dev")), Some(&PriorityLevel::Low));
        assert_eq!(p.per_env.get(&env("staging")), Some(&PriorityLevel::Low));

        assert!(parse_priority("Very High", &envs()).is_err());
        assert!(parse_priority("High for Mars", &envs()).is_err());
        assert!(parse_priority("High, Low", &envs()).is_err());
        assert!(parse_priority("High for Dev, Low for Development", &envs()).is_err());
    }

    #[test]
    fn configured_env_names_resolve() {
        let configured = vec![env("production"), env("preview-42")];
        assert_eq!(resolve_env("Prod", &configured), Some(env("production")));
        assert_eq!(
            resolve_env("preview-42", &configured),
            Some(env("preview-42"))
        );
        assert_eq!(resolve_env("Dev", &configured), Some(env("dev")));
        assert_eq!(resolve_env("qa", &configured), None);
    }

    #[test]
    fn env_statuses() {
        let s = parse_env_statuses("dev deployed, prod in progress", &envs()).unwrap();
        assert_eq!(
            s,
            vec![
                (env("dev"), ModuleStatus::Deployed),
                (env("prod"), ModuleStatus::InProgress)
            ]
        );
        assert!(parse_env_statuses("staging deployed", &envs()).is_err());
        assert!(parse_env_statuses("dev done", &envs()).is_err());
        assert!(parse_env_statuses("dev", &envs()).is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("~$15/month"), Some(CostRange::exact(1500)));
        assert_eq!(
            parse_amount(" ~$150-200/month"),
            Some(CostRange {
                low_cents: 15000,
                high_cents: 20000
            })
        );
        assert_eq!(
            parse_amount("$1,200.50/month"),
            Some(CostRange::exact(120_050))
        );
        assert_eq!(parse_amount("~$0.5"), Some(CostRange::exact(50)));
        assert_eq!(
            parse_amount("~$20-$50/month"),
            parse_amount("~$20-50/month")
        );
        assert_eq!(parse_amount("~$200-150/month"), None);
        assert_eq!(parse_amount("lots"), None);
        assert_eq!(parse_amount("$1.234"), None);
        assert_eq!(parse_amount("$99999999999999999999"), None);
    }

    #[test]
    fn paths() {
        let v = parse_path_value("`modules/elasticache/` (needs creation)").unwrap();
        assert_eq!(v.path.as_deref(), Some("modules/elasticache/"));
        assert_eq!(v.note.as_deref(), Some("needs creation"));
        let v = parse_path_value("none").unwrap();
        assert!(v.explicit_none && v.path.is_none());
        let v = parse_path_value("(not decided)").unwrap();
        assert_eq!((v.path, v.note.as_deref()), (None, Some("not decided")));
        assert!(parse_path_value("`modules/x/` trailing").is_err());
    }

    #[test]
    fn steps() {
        assert_eq!(
            parse_step("✅ Fix ALB health checks (COMPLETED)"),
            ("Fix ALB health checks".to_owned(), true)
        );
        assert_eq!(
            parse_step("Set up CloudFront CDN"),
            ("Set up CloudFront CDN".to_owned(), false)
        );
        assert_eq!(
            parse_step("Ship it (completed)"),
            ("Ship it".to_owned(), true)
        );
    }

    #[test]
    fn symbols_are_stripped_but_text_kept() {
        assert_eq!(strip_symbols("✅ Deployed"), "Deployed");
        assert_eq!(strip_symbols("\u{F8FF}üöß x"), "üöß x");
        assert_eq!(strip_symbols("🚧 Modules"), "Modules");
        assert_eq!(strip_symbols("`code` first"), "`code` first");
        assert_eq!(strip_symbols("✔️ done"), "done");
    }

    #[test]
    fn sections_are_classified_by_keywords() {
        let kind = |h: &str| match classify(h) {
            Some(Heading::Section(k)) => Some(k),
            _ => None,
        };
        assert_eq!(
            kind("✅ Currently Implemented Modules"),
            Some(SectionKind::Modules(Section::Implemented))
        );
        assert_eq!(
            kind("📊 Current Infrastructure Costs (Estimated)"),
            Some(SectionKind::Costs)
        );
        assert_eq!(kind("notes"), Some(SectionKind::Notes));
        assert_eq!(kind("Installation"), None);
        assert!(matches!(
            classify("Current Date: November 2024"),
            Some(Heading::CurrentDate("November 2024"))
        ));
    }
}
