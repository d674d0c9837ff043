//! The rollout timeline: the modules still to roll out, placed in time. Pure.
//!
//! A module with a target date is a milestone on that date. Without one, it
//! sits in its phase's horizon, measured from the document's date (its
//! "Current Date", else today):
//!
//! | phase | from | due |
//! |---|---|---|
//! | Immediate | the document's date | + 1 week |
//! | Short term | + 1 week | + 2 weeks |
//! | Medium term | + 2 weeks | + 1 month |
//! | Long term | + 1 month | + 1 quarter |
//!
//! A module is still to roll out in the environments where it is planned,
//! ready or in progress. Where its priority differs between those
//! environments ("Low for Dev, High for Prod") it has one bar per priority.
//! Past its due date, it is overdue.

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::model::{Module, ModuleSlug, ModuleStatus, Phase, PriorityLevel, Roadmap};
use crate::shared::EnvName;

/// How an item got its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    TargetDate,
    Horizon(Phase),
}

/// One bar of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineItem {
    pub slug: ModuleSlug,
    pub name: String,
    /// The environments this bar stands for (same priority), roadmap order.
    pub environments: Vec<EnvName>,
    pub priority: Option<PriorityLevel>,
    pub owner: Option<String>,
    pub placement: Placement,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub overdue: bool,
}

/// A module still to roll out with neither a target date nor a phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unscheduled {
    pub slug: ModuleSlug,
    pub name: String,
    pub environments: Vec<EnvName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// What horizons are measured from.
    pub anchor: NaiveDate,
    /// The anchor came from the document ("November 2024"), not from today.
    pub anchor_from_document: bool,
    pub today: NaiveDate,
    /// The axis: from the earliest of anchor, today and every start, to the
    /// latest of today and every due date.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// By due date, then document order.
    pub items: Vec<TimelineItem>,
    pub unscheduled: Vec<Unscheduled>,
}

/// What the timeline page may be narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    pub environment: Option<EnvName>,
    pub priority: Option<PriorityLevel>,
    /// Case-insensitive.
    pub owner: Option<String>,
}

impl TimelineFilter {
    /// The filter from the page's query, each part trimmed, empty = none.
    /// Refuses an environment not in `environments` and an unknown priority.
    pub fn parse(
        environment: &str,
        priority: &str,
        owner: &str,
        environments: &[EnvName],
    ) -> crate::CoreResult<Self> {
        let mut problems = Vec::new();
        let environment = match environment.trim() {
            "" => None,
            raw => match environments.iter().find(|e| e.as_str() == raw) {
                Some(env) => Some(env.clone()),
                None => {
                    problems.push(format!(
                        "environment: the roadmap tracks {}, not {raw:?}",
                        environments
                            .iter()
                            .map(EnvName::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    None
                }
            },
        };
        let priority = match priority.trim() {
            "" => None,
            raw => match PriorityLevel::parse(raw) {
                Ok(level) => Some(level),
                Err(_) => {
                    problems.push(format!(
                        "priority: must be low, medium or high, not {raw:?}"
                    ));
                    None
                }
            },
        };
        let owner = Some(owner.trim()).filter(|o| !o.is_empty());
        if let Some(o) = owner {
            if o.chars().count() > 200 {
                problems.push("owner: at most 200 characters".to_owned());
            }
        }
        if !problems.is_empty() {
            return Err(crate::CoreError::Invalid(problems.join("; ")));
        }
        Ok(Self {
            environment,
            priority,
            owner: owner.map(str::to_owned),
        })
    }
}

/// The document's date: "November 2024" (or "Nov 2024") → 2024-11-01,
/// "2024-11-15" → itself, "15 November 2024" and "November 15, 2024" →
/// 2024-11-15; anything else → `None`.
pub fn document_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d %B %Y"))
        .or_else(|_| NaiveDate::parse_from_str(raw, "%B %d, %Y"))
        .or_else(|_| NaiveDate::parse_from_str(&format!("1 {raw}"), "%d %B %Y"))
        .ok()
}

/// When `phase`'s horizon starts and ends, from `anchor`.
pub fn horizon(phase: Phase, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
    let week = anchor + Duration::days(7);
    let fortnight = anchor + Duration::days(14);
    let month = anchor.checked_add_months(Months::new(1)).unwrap_or(anchor);
    let quarter = anchor.checked_add_months(Months::new(3)).unwrap_or(anchor);
    match phase {
        Phase::Immediate => (anchor, week),
        Phase::Short => (week, fortnight),
        Phase::Medium => (fortnight, month),
        Phase::Long => (month, quarter),
    }
}

fn to_roll_out(status: ModuleStatus) -> bool {
    matches!(
        status,
        ModuleStatus::Planned | ModuleStatus::Ready | ModuleStatus::InProgress
    )
}

fn placement(module: &Module, anchor: NaiveDate) -> Option<(Placement, NaiveDate, NaiveDate)> {
    if let Some(date) = module
        .target_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
    {
        return Some((Placement::TargetDate, date, date));
    }
    let phase = module.phase?;
    let (start, due) = horizon(phase, anchor);
    Some((Placement::Horizon(phase), start, due))
}

/// The timeline of `roadmap` on `today`, narrowed by `filter`.
pub fn timeline(roadmap: &Roadmap, today: NaiveDate, filter: &TimelineFilter) -> Timeline {
    let from_document = roadmap.meta.current_date.as_deref().and_then(document_date);
    let anchor = from_document.unwrap_or(today);
    let mut items = Vec::new();
    let mut unscheduled = Vec::new();
    for module in &roadmap.modules {
        if let Some(owner) = &filter.owner {
            let same = module
                .owner
                .as_deref()
                .is_some_and(|o| o.trim().eq_ignore_ascii_case(owner.trim()));
            if !same {
                continue;
            }
        }
        let pending: Vec<&EnvName> = roadmap
            .environments
            .iter()
            .filter(|env| filter.environment.as_ref().is_none_or(|f| f == *env))
            .filter(|env| module.statuses.get(*env).copied().is_some_and(to_roll_out))
            .collect();
        if pending.is_empty() {
            continue;
        }
        let Some((placement, start, due)) = placement(module, anchor) else {
            unscheduled.push(Unscheduled {
                slug: module.slug.clone(),
                name: module.name.clone(),
                environments: pending.into_iter().cloned().collect(),
            });
            continue;
        };
        // One bar per priority, in the order the environments come.
        let mut bars: Vec<(Option<PriorityLevel>, Vec<EnvName>)> = Vec::new();
        for env in pending {
            let priority = module.priority.for_env(env);
            match bars.iter_mut().find(|(p, _)| *p == priority) {
                Some((_, envs)) => envs.push(env.clone()),
                None => bars.push((priority, vec![env.clone()])),
            }
        }
        for (priority, environments) in bars {
            if filter.priority.is_some() && priority != filter.priority {
                continue;
            }
            items.push(TimelineItem {
                slug: module.slug.clone(),
                name: module.name.clone(),
                environments,
                priority,
                owner: module.owner.clone(),
                placement,
                start,
                due,
                overdue: due < today,
            });
        }
    }
    items.sort_by_key(|i| i.due);
    let from = items
        .iter()
        .map(|i| i.start)
        .chain([anchor, today])
        .min()
        .unwrap_or(today);
    let to = items
        .iter()
        .map(|i| i.due)
        .chain([today])
        .max()
        .unwrap_or(today);
    // At least a week wide, so a lone milestone is not a point.
    let to = to.max(from + Duration::days(7));
    Timeline {
        anchor,
        anchor_from_document: from_document.is_some(),
        today,
        from,
        to,
        items,
        unscheduled,
    }
}

/// Where `day` falls on an axis from `from` to `to` drawn between the pixels
/// `left` and `right`.
pub fn x_of(day: NaiveDate, from: NaiveDate, to: NaiveDate, left: f64, right: f64) -> f64 {
    let span = (to - from).num_days().max(1) as f64;
    left + (day - from).num_days() as f64 / span * (right - left)
}

/// The first day of each month from `from` to `to` (the axis' ticks).
pub fn month_ticks(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut ticks = Vec::new();
    let mut day = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    if day < from {
        day = day.checked_add_months(Months::new(1)).unwrap_or(to);
    }
    while day <= to {
        ticks.push(day);
        match day.checked_add_months(Months::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    ticks
}

#[cfg(test)]
mod tests;
