//! Small line grammars: headings, bullets, numbered items, `**Key**: value`
//! fields, parenthesised groups, code spans and leading symbols.

pub(super) fn is_title(text: &str) -> bool {
    text == "#" || text.starts_with("# ")
}

/// `## Heading` → "Heading".
pub(super) fn heading2(text: &str) -> Option<&str> {
    if text == "##" {
        return Some("");
    }
    text.strip_prefix("## ").map(str::trim)
}

/// `### Heading` → "Heading".
pub(super) fn heading3(text: &str) -> Option<&str> {
    if text == "###" {
        return Some("");
    }
    text.strip_prefix("### ").map(str::trim)
}

/// `- text` / `* text` (any indentation) → (indentation, text).
pub(super) fn bullet(text: &str) -> Option<(usize, &str)> {
    let t = text.trim_start();
    let indent = text.len() - t.len();
    let content = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))?;
    Some((indent, content.trim()))
}

/// `1. text` / `1) text` → "text".
pub(super) fn numbered(text: &str) -> Option<&str> {
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
pub(super) fn bold_field(text: &str) -> Option<(&str, &str)> {
    let inner = text.trim().strip_prefix("**")?;
    let (key, after) = inner.split_once("**")?;
    if let Some(key) = key.trim_end().strip_suffix(':') {
        return Some((key.trim(), after.trim()));
    }
    Some((key.trim(), after.strip_prefix(':')?.trim()))
}

pub(super) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Splits `(a) (b)` into ["a", "b"]; parentheses inside backticks or nested
/// ones do not count.
pub(super) fn paren_groups(text: &str) -> std::result::Result<Vec<String>, String> {
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
pub(super) fn code_span(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.contains('`')).then(|| inner.trim())
}

/// "Immediate (This Week)" → ("Immediate", Some("This Week")).
pub(super) fn split_trailing_parens(text: &str) -> (&str, Option<&str>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_stripped_but_text_kept() {
        assert_eq!(strip_symbols("✅ Deployed"), "Deployed");
        assert_eq!(strip_symbols("\u{F8FF}üöß x"), "üöß x");
        assert_eq!(strip_symbols("🚧 Modules"), "Modules");
        assert_eq!(strip_symbols("`code` first"), "`code` first");
        assert_eq!(strip_symbols("✔️ done"), "done");
    }
}
