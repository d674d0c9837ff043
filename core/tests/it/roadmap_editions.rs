//! Editions of the status document, on SQLite and PostgreSQL alike: a later
//! edition (the December file in `fixtures/editions/`) updates what changed,
//! dated by the edition; an older one is refused unless forced; a strict
//! import refuses a module listed twice; the export's "Last Updated" is the
//! day of the last change; any two editions can be compared.

use chrono::{DateTime, TimeZone, Utc};
use gantry_core::roadmap::edit::{self, ModuleEdit};
use gantry_core::roadmap::editions;
use gantry_core::roadmap::model::{ModuleSlug, ModuleStatus, Section};
use gantry_core::roadmap::service::{self, ImportMode, RoadmapSettings};
use gantry_core::roadmap::store;
use gantry_core::shared::{Actor, EnvName};
use gantry_core::{CoreError, Db};

const NOVEMBER: &str = include_str!("../../../fixtures/infrastructure-status.md");
const DECEMBER: &str = include_str!("../../../fixtures/editions/2024-12-infrastructure-status.md");

fn settings() -> RoadmapSettings {
    RoadmapSettings {
        environments: vec![env("dev"), env("prod")],
    }
}

fn env(name: &str) -> EnvName {
    EnvName::parse(name).unwrap()
}

fn slug(s: &str) -> ModuleSlug {
    ModuleSlug::parse(s).unwrap()
}

fn importer(file: &str) -> Actor {
    Actor {
        name: "cli:pat".to_owned(),
        role: Some("cli".to_owned()),
        request_id: None,
        source: format!("import: {file}"),
        subject: None,
    }
}

/// The importing machine's clock: long after both editions.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 30, 0).unwrap()
}

async fn import(
    db: &Db,
    text: &str,
    file: &str,
    mode: ImportMode,
) -> Result<store::ImportReport, CoreError> {
    service::import_markdown(db, &settings(), text, &importer(file), mode, now()).await
}

fn last_updated(markdown: &str) -> &str {
    markdown
        .lines()
        .find_map(|l| l.strip_prefix("- **Last Updated**: "))
        .unwrap_or("(none)")
}

async fn a_later_edition_updates_what_changed_dated_by_the_edition(db: Db) {
    import(&db, NOVEMBER, "november.md", ImportMode::default())
        .await
        .unwrap();
    let before = store::load(&db).await.unwrap();
    let steps_before = gantry_core::roadmap::steps::list(&db).await.unwrap();
    let report = import(&db, DECEMBER, "december.md", ImportMode::default())
        .await
        .unwrap();

    // One new module, one retired; the module listed twice and the renamed one are updated, not created.
    assert_eq!(report.created, vec![slug("feature-flags")], "{report:?}");
    assert_eq!(
        report.retired,
        vec![slug("cost-optimization")],
        "{report:?}"
    );
    let after = store::load(&db).await.unwrap();
    assert_eq!(
        after.modules.len(),
        before.modules.len() + 1,
        "no duplicates"
    );
    assert_eq!(report.warnings.len(), 2, "{:#?}", report.warnings);
    let line = |needle: &str| DECEMBER.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let merged = &report.warnings[0];
    assert!(
        merged.starts_with(&format!(
            "line {}: \"Redis/ElastiCache Module\"",
            line("### Redis/ElastiCache Module")
        )),
        "{merged}"
    );
    assert!(
        merged.contains(&format!(
            "\"ElastiCache Redis\" (line {})",
            line("**ElastiCache Redis**")
        )),
        "{merged}"
    );
    assert!(report.warnings[1].contains("\"Monitoring and Alerting\" is the stored module \"Monitoring & Alerting Module\" (monitoring-alerting)"), "{:?}", report.warnings);

    // Deployed since: implemented, deployed in dev, dated by the edition.
    let redis = after.module(&slug("elasticache")).unwrap();
    assert_eq!(redis.section, Section::Implemented);
    assert_eq!(redis.statuses[&env("dev")], ModuleStatus::Deployed);
    let history = store::history(&db, &slug("elasticache")).await.unwrap();
    let deployed = history
        .iter()
        .find(|h| h.field == "status.dev")
        .expect("status.dev changed");
    assert_eq!(deployed.from.as_deref(), Some("ready"));
    assert_eq!(deployed.to.as_deref(), Some("deployed"));
    assert_eq!(deployed.at, "2024-12-01T00:00:00.000Z");
    assert_eq!(deployed.source, "import: december.md");

    // Renamed: the same module, its name changed in its history.
    let monitoring = store::history(&db, &slug("monitoring-alerting"))
        .await
        .unwrap();
    let renamed = monitoring
        .iter()
        .find(|h| h.field == "name")
        .expect("the name changed");
    assert_eq!(
        renamed.from.as_deref(),
        Some("Monitoring & Alerting Module")
    );
    assert_eq!(renamed.to.as_deref(), Some("Monitoring and Alerting"));
    assert!(after.module(&slug("monitoring-and-alerting")).is_none());

    // A next step completed, under the id it had (a steps page left open still saves to it);
    // every step the edition repeats keeps its id.
    let steps_after = gantry_core::roadmap::steps::list(&db).await.unwrap();
    assert_eq!(steps_after.len(), steps_before.len());
    let redis_step = |steps: &[gantry_core::roadmap::steps::StoredStep]| {
        steps
            .iter()
            .find(|s| s.step.text.starts_with("Deploy Redis/ElastiCache"))
            .map(|s| (s.id, s.step.completed))
            .unwrap()
    };
    let (id_before, done_before) = redis_step(&steps_before);
    assert_eq!(redis_step(&steps_after), (id_before, true));
    assert!(!done_before);
    let ids = |steps: &[gantry_core::roadmap::steps::StoredStep]| {
        let mut ids: Vec<i64> = steps.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(&steps_after), ids(&steps_before));

    // The export is the December edition's shape and dates.
    assert!(after
        .next_steps
        .iter()
        .any(|s| s.text.starts_with("Deploy Redis/ElastiCache") && s.completed));
    let exported = service::export_markdown(&db).await.unwrap();
    assert_eq!(last_updated(&exported), "December 2024");
    assert!(
        exported.contains("- **Next Review**: January 2025"),
        "{exported}"
    );

    // The same edition again changes no module (it is listed once more as an edition).
    let again = import(&db, DECEMBER, "december.md", ImportMode::default())
        .await
        .unwrap();
    assert!(again.is_noop(), "{again:?}");
    assert_eq!(editions::list(&db).await.unwrap().len(), 3);
}

async fn an_older_edition_is_refused_naming_both_dates_unless_forced(db: Db) {
    import(&db, DECEMBER, "december.md", ImportMode::default())
        .await
        .unwrap();
    let before = store::load(&db).await.unwrap();
    let err = import(&db, NOVEMBER, "november.md", ImportMode::default())
        .await
        .unwrap_err();
    let message = err.public_message();
    assert!(matches!(err, CoreError::Invalid(_)), "{err:?}");
    assert!(
        message.contains("dated November 2024 (2024-11-01)"),
        "{message}"
    );
    assert!(
        message.contains("edition #1 dated December 2024 (2024-12-01)"),
        "{message}"
    );
    assert_eq!(store::load(&db).await.unwrap(), before, "nothing changed");
    assert_eq!(editions::list(&db).await.unwrap().len(), 1);

    let forced = import(
        &db,
        NOVEMBER,
        "november.md",
        ImportMode {
            force: true,
            strict: false,
        },
    )
    .await
    .unwrap();
    assert!(forced.created.contains(&slug("cost-optimization")) || !forced.updated.is_empty());
    let listed = editions::list(&db).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].forced && !listed[1].forced, "{listed:?}");
    // The last change does not go back with it.
    assert_eq!(
        last_updated(&service::export_markdown(&db).await.unwrap()),
        "December 2024"
    );
}

async fn a_strict_import_refuses_a_module_listed_twice(db: Db) {
    import(&db, NOVEMBER, "november.md", ImportMode::default())
        .await
        .unwrap();
    let before = store::load(&db).await.unwrap();
    let err = import(
        &db,
        DECEMBER,
        "december.md",
        ImportMode {
            strict: true,
            force: false,
        },
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("duplicate module: \"Redis/ElastiCache Module\" is the same module as \"ElastiCache Redis\""), "{message}");
    assert_eq!(
        message.matches("line ").count(),
        2,
        "each line named once: {message}"
    );
    assert_eq!(store::load(&db).await.unwrap(), before);
    assert_eq!(editions::list(&db).await.unwrap().len(), 1);
}

async fn last_updated_is_the_day_of_the_last_change(db: Db) {
    import(&db, NOVEMBER, "november.md", ImportMode::default())
        .await
        .unwrap();
    let exported = service::export_markdown(&db).await.unwrap();
    assert_eq!(
        last_updated(&exported),
        "November 2024",
        "the edition's own words"
    );
    assert!(exported.contains("- **Next Review**: December 2024"));

    let oscar = Actor {
        source: "ui".to_owned(),
        ..importer("ui")
    };
    let waf = store::load(&db)
        .await
        .unwrap()
        .module(&slug("waf"))
        .unwrap()
        .clone();
    let edit = ModuleEdit {
        statuses: waf.statuses.clone(),
        priority: waf.priority.clone(),
        phase: waf.phase,
        owner: Some("Platform".to_owned()),
        target_date: waf.target_date.clone(),
        notes: waf.notes.clone(),
    };
    let at = Utc.with_ymd_and_hms(2025, 2, 3, 17, 45, 0).unwrap();
    edit::update_module(
        &db,
        &settings().environments,
        &oscar,
        &slug("waf"),
        edit,
        at,
    )
    .await
    .unwrap();
    let exported = service::export_markdown(&db).await.unwrap();
    assert_eq!(last_updated(&exported), "3 February 2025");
    assert!(
        exported.contains("- **Next Review**: December 2024"),
        "kept"
    );
    let history = store::history(&db, &slug("waf")).await.unwrap();
    assert_eq!(
        history[0].at, "2025-02-03T17:45:00.000Z",
        "on the caller's clock"
    );
}

async fn two_editions_compare(db: Db) {
    import(&db, NOVEMBER, "november.md", ImportMode::default())
        .await
        .unwrap();
    import(&db, DECEMBER, "december.md", ImportMode::default())
        .await
        .unwrap();
    let listed = editions::list(&db).await.unwrap();
    assert_eq!(listed.len(), 2);
    let (december, november) = (&listed[0], &listed[1]);
    assert_eq!(december.dated.as_deref(), Some("2024-12-01"));
    assert_eq!(december.label.as_deref(), Some("December 2024"));
    assert_eq!(december.source, "import: december.md");
    assert_eq!(december.summary.created, 1);
    assert_eq!(december.summary.retired, 1);
    assert_eq!(december.warnings.len(), 2);
    assert_eq!(november.summary.created, 23);

    let (from, to, diff) = editions::diff(&db, &settings().environments, november.id, december.id)
        .await
        .unwrap();
    assert_eq!((from.id, to.id), (november.id, december.id));
    assert_eq!(diff.added, vec!["Feature Flags Module".to_owned()]);
    assert_eq!(diff.removed, vec!["Cost Optimization Module".to_owned()]);
    let changed: Vec<&str> = diff.changed.iter().map(|c| c.name.as_str()).collect();
    assert!(changed.contains(&"Monitoring and Alerting"), "{changed:?}");
    assert!(changed.contains(&"ElastiCache Redis"), "{changed:?}");
    assert_eq!(
        diff.steps_ticked,
        vec!["Deploy Redis/ElastiCache for session storage (completed)".to_owned()]
    );
    let (_, _, same) = editions::diff(&db, &settings().environments, december.id, december.id)
        .await
        .unwrap();
    assert!(same.is_empty());
    assert!(matches!(
        editions::diff(&db, &settings().environments, november.id, 999).await,
        Err(CoreError::NotFound(_))
    ));
}

gantry_core::on_both_backends!(
    a_later_edition_updates_what_changed_dated_by_the_edition,
    an_older_edition_is_refused_naming_both_dates_unless_forced,
    a_strict_import_refuses_a_module_listed_twice,
    last_updated_is_the_day_of_the_last_change,
    two_editions_compare,
);
