//! The costs section: environment headings, cost lines and amounts.

use super::document::DocParser;
use super::grammar::{bullet, heading3, non_empty, split_trailing_parens};
use super::lines::Item;
use super::vocab::{env_list, resolve_env};
use super::{ParseError, Result};
use crate::roadmap::model::{CostItem, CostRange, CostSection};
use crate::shared::EnvName;

impl DocParser<'_> {
    pub(super) fn parse_costs(&mut self, items: &[&Item]) -> Result<()> {
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
}

/// "Production Environment (Projected)" → (prod, "Production Environment", true).
///
/// The environment is the last word of the heading that names one (see
/// [`resolve_env`]).
pub(in crate::roadmap::markdown) fn parse_cost_heading(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
