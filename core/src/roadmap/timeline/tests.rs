use std::collections::BTreeMap;

use super::*;
use crate::roadmap::model::{DocumentMeta, Priority, Section};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn env(name: &str) -> EnvName {
    EnvName::parse(name).unwrap()
}

fn module(
    slug: &str,
    phase: Option<Phase>,
    target: Option<&str>,
    dev: ModuleStatus,
    prod: ModuleStatus,
) -> Module {
    Module {
        slug: ModuleSlug::parse(slug).unwrap(),
        name: format!("{slug} module"),
        section: Section::Future,
        group: None,
        position: 0,
        path: None,
        path_note: None,
        purpose: None,
        features: Vec::new(),
        priority: Priority::default(),
        status_note: None,
        current_note: None,
        config: None,
        statuses: BTreeMap::from([(env("dev"), dev), (env("prod"), prod)]),
        phase,
        owner: None,
        target_date: target.map(str::to_owned),
        notes: None,
        dependencies: Vec::new(),
    }
}

fn roadmap(date: Option<&str>, modules: Vec<Module>) -> Roadmap {
    Roadmap {
        meta: DocumentMeta {
            current_date: date.map(str::to_owned),
            ..DocumentMeta::default()
        },
        environments: vec![env("dev"), env("prod")],
        modules,
        next_steps: Vec::new(),
        costs: Vec::new(),
    }
}

use ModuleStatus::{Deployed, InProgress, Planned, Ready};

#[test]
fn the_documents_date_is_read_in_the_shapes_it_is_written() {
    assert_eq!(document_date("November 2024"), Some(day("2024-11-01")));
    assert_eq!(document_date(" 2024-11-15 "), Some(day("2024-11-15")));
    assert_eq!(document_date("15 November 2024"), Some(day("2024-11-15")));
    assert_eq!(document_date("soon"), None);
    assert_eq!(document_date("Smarch 2024"), None);
}

#[test]
fn each_phase_has_its_horizon_after_the_previous_one() {
    let a = day("2024-11-01");
    let cases = [
        (Phase::Immediate, "2024-11-01", "2024-11-08"),
        (Phase::Short, "2024-11-08", "2024-11-15"),
        (Phase::Medium, "2024-11-15", "2024-12-01"),
        (Phase::Long, "2024-12-01", "2025-02-01"),
    ];
    for (phase, start, due) in cases {
        assert_eq!(horizon(phase, a), (day(start), day(due)), "{phase:?}");
    }
    // A month from the 31st of January is the end of February.
    assert_eq!(horizon(Phase::Long, day("2025-01-31")).0, day("2025-02-28"));
}

#[test]
fn modules_are_placed_by_target_date_else_by_phase_and_flagged_when_overdue() {
    let r = roadmap(
        Some("November 2024"),
        vec![
            module("waf", Some(Phase::Long), None, Planned, Planned),
            module(
                "cdn",
                Some(Phase::Immediate),
                Some("2024-11-20"),
                Ready,
                Ready,
            ),
            module("backup", Some(Phase::Immediate), None, Deployed, InProgress),
            module("done", Some(Phase::Immediate), None, Deployed, Deployed),
            module("someday", None, None, Planned, Planned),
        ],
    );
    let t = timeline(&r, day("2024-11-10"), &TimelineFilter::default());
    assert_eq!(t.anchor, day("2024-11-01"));
    assert!(t.anchor_from_document);
    let placed: Vec<(&str, NaiveDate, NaiveDate, bool)> = t
        .items
        .iter()
        .map(|i| (i.slug.as_str(), i.start, i.due, i.overdue))
        .collect();
    assert_eq!(
        placed,
        vec![
            // Immediate: due a week after the document's date, past on the 10th.
            ("backup", day("2024-11-01"), day("2024-11-08"), true),
            // The target date wins over the phase.
            ("cdn", day("2024-11-20"), day("2024-11-20"), false),
            ("waf", day("2024-12-01"), day("2025-02-01"), false),
        ]
    );
    // Only prod is still to roll out for backup.
    assert_eq!(t.items[0].environments, vec![env("prod")]);
    assert_eq!(t.items[1].placement, Placement::TargetDate);
    assert_eq!(t.unscheduled.len(), 1);
    assert_eq!(t.unscheduled[0].slug.as_str(), "someday");
    assert_eq!((t.from, t.to), (day("2024-11-01"), day("2025-02-01")));
}

#[test]
fn without_a_document_date_horizons_start_today() {
    let r = roadmap(
        None,
        vec![module("waf", Some(Phase::Short), None, Planned, Planned)],
    );
    let t = timeline(&r, day("2026-12-04"), &TimelineFilter::default());
    assert!(!t.anchor_from_document);
    assert_eq!(
        (t.items[0].start, t.items[0].due),
        (day("2026-12-11"), day("2026-12-18"))
    );
    assert!(!t.items[0].overdue);
}

#[test]
fn priorities_that_differ_by_environment_give_one_bar_each_and_filters_narrow() {
    let mut waf = module("waf", Some(Phase::Medium), None, Planned, Planned);
    waf.priority = Priority {
        default: None,
        per_env: BTreeMap::from([
            (env("dev"), PriorityLevel::Low),
            (env("prod"), PriorityLevel::High),
        ]),
    };
    waf.owner = Some("Platform Team".into());
    let mut cdn = module("cdn", Some(Phase::Medium), None, Planned, Planned);
    cdn.priority.default = Some(PriorityLevel::Medium);
    let r = roadmap(Some("2024-11-01"), vec![waf, cdn]);
    let today = day("2024-11-02");

    let all = timeline(&r, today, &TimelineFilter::default());
    let bars: Vec<(&str, Vec<EnvName>, Option<PriorityLevel>)> = all
        .items
        .iter()
        .map(|i| (i.slug.as_str(), i.environments.clone(), i.priority))
        .collect();
    assert_eq!(
        bars,
        vec![
            ("waf", vec![env("dev")], Some(PriorityLevel::Low)),
            ("waf", vec![env("prod")], Some(PriorityLevel::High)),
            (
                "cdn",
                vec![env("dev"), env("prod")],
                Some(PriorityLevel::Medium)
            ),
        ]
    );

    let prod_high = timeline(
        &r,
        today,
        &TimelineFilter {
            environment: Some(env("prod")),
            priority: Some(PriorityLevel::High),
            owner: None,
        },
    );
    assert_eq!(prod_high.items.len(), 1);
    assert_eq!(prod_high.items[0].environments, vec![env("prod")]);

    let owned = timeline(
        &r,
        today,
        &TimelineFilter {
            owner: Some(" platform team ".into()),
            ..TimelineFilter::default()
        },
    );
    assert!(owned.items.iter().all(|i| i.slug.as_str() == "waf"));
    assert_eq!(owned.items.len(), 2);
}

#[test]
fn the_axis_maps_days_to_pixels_and_ticks_each_month() {
    let (from, to) = (day("2024-11-15"), day("2025-02-10"));
    assert_eq!(x_of(from, from, to, 100.0, 900.0), 100.0);
    assert_eq!(x_of(to, from, to, 100.0, 900.0), 900.0);
    assert_eq!(
        month_ticks(from, to),
        vec![day("2024-12-01"), day("2025-01-01"), day("2025-02-01")]
    );
    assert_eq!(
        month_ticks(day("2024-11-01"), day("2024-11-30")),
        vec![day("2024-11-01")]
    );
}

#[test]
fn filters_are_parsed_and_bad_ones_named() {
    let envs = [env("dev"), env("prod")];
    let f = TimelineFilter::parse(" prod ", "High", "  ", &envs).unwrap();
    assert_eq!(f.environment, Some(env("prod")));
    assert_eq!(f.priority, Some(PriorityLevel::High));
    assert_eq!(f.owner, None);
    assert_eq!(
        TimelineFilter::parse("", "", "", &envs).unwrap(),
        TimelineFilter::default()
    );
    let err = TimelineFilter::parse("staging", "urgent", "", &envs)
        .unwrap_err()
        .public_message();
    assert_eq!(
        err,
        "environment: the roadmap tracks dev, prod, not \"staging\"; priority: must be low, medium or high, not \"urgent\""
    );
}
