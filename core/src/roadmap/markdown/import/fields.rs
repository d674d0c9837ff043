//! Module fields: the keys (`**Key**: value`) and the values that are not
//! vocabulary (paths, target dates, dependencies).

use super::grammar::{non_empty, paren_groups};
use crate::roadmap::model::ModuleSlug;

/// A module field, written `**Key**: value` in the Ready and Future sections
/// and `- Key: value` under an implemented module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::roadmap::markdown) enum FieldKey {
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
    pub(in crate::roadmap::markdown) fn label(self) -> &'static str {
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

    pub(super) fn parse(raw: &str) -> Option<Self> {
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
    pub(super) fn is_implemented_field(self) -> bool {
        !matches!(self, FieldKey::Path | FieldKey::Group | FieldKey::Features)
    }

    pub(super) fn expected_list() -> String {
        let labels: Vec<String> = Self::ALL
            .iter()
            .map(|k| format!("{:?}", k.label()))
            .collect();
        labels.join(", ")
    }
}

/// The path a "Current" note names in backticks ("Module exists at
/// `modules/codepipeline/`" → "modules/codepipeline/"): the first code span
/// containing a '/'.
pub(in crate::roadmap::markdown) fn path_in_note(note: &str) -> Option<String> {
    note.split('`')
        .skip(1)
        .step_by(2)
        .map(str::trim)
        .find(|span| span.contains('/'))
        .map(str::to_owned)
}

pub(super) fn parse_target_date(raw: &str) -> std::result::Result<Option<String>, String> {
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

pub(super) fn parse_dependencies(raw: &str) -> std::result::Result<Vec<ModuleSlug>, String> {
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
pub(super) struct PathValue {
    pub(super) path: Option<String>,
    pub(super) note: Option<String>,
    /// "none": the module has no path even if its Current note names one.
    pub(super) explicit_none: bool,
}

/// "`modules/elasticache/` (needs creation)", "modules/s3/", "(note)", "none".
pub(super) fn parse_path_value(raw: &str) -> std::result::Result<PathValue, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
