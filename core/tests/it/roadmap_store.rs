//! Roadmap storage, run against SQLite and PostgreSQL alike.

use gantry_core::roadmap::markdown::export::render_document;
use gantry_core::roadmap::markdown::import::{parse_document, ImportOptions};
use gantry_core::roadmap::model::{ModuleSlug, ModuleStatus, PriorityLevel};
use gantry_core::roadmap::service::{self, RoadmapSettings};
use gantry_core::roadmap::store;
use gantry_core::shared::Actor;
use gantry_core::shared::EnvName;
use gantry_core::{CoreError, Db};

const SEED: &str = include_str!("../../../fixtures/infrastructure-status.md");

fn settings() -> RoadmapSettings {
    RoadmapSettings {
        environments: vec![
            EnvName::parse("dev").unwrap(),
            EnvName::parse("prod").unwrap(),
        ],
    }
}

fn actor(name: &str, source: &str) -> Actor {
    Actor {
        name: name.to_owned(),
        role: Some("operator".to_owned()),
        request_id: None,
        source: source.to_owned(),
        subject: None,
    }
}

/// Imports `text` as `who`, at the tests' pinned time.
async fn import(db: &Db, text: &str, who: &Actor) -> Result<store::ImportReport, CoreError> {
    let now = gantry_core::clock::testing::clock().now();
    service::import_markdown(db, &settings(), text, who, Default::default(), now).await
}

fn slug(s: &str) -> ModuleSlug {
    ModuleSlug::parse(s).unwrap()
}

async fn history_len(db: &Db) -> usize {
    let roadmap = store::load(db).await.unwrap();
    let mut n = 0;
    for m in &roadmap.modules {
        n += store::history(db, &m.slug).await.unwrap().len();
    }
    n
}

async fn stored_roadmap_equals_the_parsed_document(db: Db) {
    assert!(store::is_empty(&db).await.unwrap());
    let report = import(&db, SEED, &actor("alice", "import: seed"))
        .await
        .unwrap();
    assert_eq!(report.created.len(), 23);
    assert!(report.updated.is_empty() && report.retired.is_empty());

    let parsed = parse_document(
        SEED,
        &ImportOptions {
            environments: settings().environments,
            strict: false,
        },
    )
    .unwrap();
    let stored = store::load(&db).await.unwrap();
    assert_eq!(
        stored, parsed,
        "the database must keep everything the document says"
    );
    assert_eq!(
        service::export_markdown(&db).await.unwrap(),
        render_document(&parsed)
    );
    let created = store::history(&db, &slug("networking")).await.unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].field, "created");
    assert_eq!(created[0].actor, "alice");
}

async fn reimport_is_idempotent(db: Db) {
    import(&db, SEED, &actor("alice", "seed")).await.unwrap();
    let before = store::load(&db).await.unwrap();
    let history_before = history_len(&db).await;

    let report = import(&db, SEED, &actor("bob", "seed again"))
        .await
        .unwrap();
    assert!(report.is_noop(), "{report:?}");
    assert_eq!(report.unchanged, 23);
    assert_eq!(store::load(&db).await.unwrap(), before);
    assert_eq!(
        history_len(&db).await,
        history_before,
        "no history for no change"
    );

    // The exported document imports back to the same state, too.
    let exported = service::export_markdown(&db).await.unwrap();
    let report = import(&db, &exported, &actor("carol", "export"))
        .await
        .unwrap();
    assert!(report.is_noop(), "{report:?}");
}

async fn changed_document_updates_and_records_history(db: Db) {
    import(&db, SEED, &actor("alice", "seed")).await.unwrap();
    let changed = SEED
        .replace(
            "**Priority**: Low for Dev, High for Prod",
            "**Priority**: Medium for Dev, High for Prod",
        )
        .replace(
            "- Custom rule groups\n",
            "- Custom rule groups\n- Bot control\n",
        )
        .replace(
            "### 10. Cost Optimization Module\n**Priority**: Low\n**Purpose**: Cost management\n**Features**:\n- Spot instance integration\n- Reserved capacity planning\n- Unused resource cleanup\n- Cost allocation tags\n",
            "",
        );
    assert_ne!(changed, SEED, "the edits must apply to the fixture");
    let report = import(&db, &changed, &actor("bob", "import: v2"))
        .await
        .unwrap();
    assert_eq!(report.created.len(), 0);
    assert_eq!(report.retired, vec![slug("cost-optimization")]);
    let waf_fields = report
        .updated
        .iter()
        .find(|(s, _)| s == &slug("waf"))
        .map(|(_, f)| f.clone())
        .expect("waf updated");
    assert!(
        waf_fields.contains(&"priority".to_owned()),
        "{waf_fields:?}"
    );
    assert!(
        waf_fields.contains(&"features".to_owned()),
        "{waf_fields:?}"
    );

    let roadmap = store::load(&db).await.unwrap();
    let waf = roadmap.module(&slug("waf")).unwrap();
    assert_eq!(
        waf.priority.for_env(&EnvName::parse("dev").unwrap()),
        Some(PriorityLevel::Medium)
    );
    assert_eq!(waf.features.last().map(String::as_str), Some("Bot control"));
    let retired = roadmap.module(&slug("cost-optimization")).unwrap();
    assert!(retired
        .statuses
        .values()
        .all(|s| *s == ModuleStatus::Retired));

    let history = store::history(&db, &slug("waf")).await.unwrap();
    let priority = history
        .iter()
        .find(|h| h.field == "priority")
        .expect("priority change");
    assert_eq!(priority.actor, "bob");
    assert_eq!(priority.source, "import: v2");
    assert_eq!(priority.from.as_deref(), Some("dev: low; prod: high"));
    assert_eq!(priority.to.as_deref(), Some("dev: medium; prod: high"));
    let retired_history = store::history(&db, &slug("cost-optimization"))
        .await
        .unwrap();
    assert!(retired_history
        .iter()
        .any(|h| h.field == "status.prod" && h.to.as_deref() == Some("retired")));
}

async fn bad_document_changes_nothing(db: Db) {
    import(&db, SEED, &actor("alice", "seed")).await.unwrap();
    let before = store::load(&db).await.unwrap();
    let history_before = history_len(&db).await;

    let broken = SEED.replace(
        "Current Infrastructure Costs (Estimated)",
        "Installation guide",
    );
    assert_ne!(broken, SEED);
    let err = import(&db, &broken, &actor("mallory", "broken"))
        .await
        .unwrap_err();
    match &err {
        CoreError::Import(parse) => assert!(parse.line > 1, "{parse}"),
        other => panic!("expected an import error, got {other:?}"),
    }
    let unrelated = "# My project\n\nSome text.\n\n## Installation\n\nRun it.\n";
    assert!(matches!(
        import(&db, unrelated, &actor("mallory", "readme")).await,
        Err(CoreError::Import(_))
    ));
    assert_eq!(store::load(&db).await.unwrap(), before);
    assert_eq!(history_len(&db).await, history_before);
}

async fn seed_only_into_an_empty_roadmap(db: Db) {
    let dir = std::env::temp_dir().join(format!("gantry-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("infrastructure-status.md");
    std::fs::write(&path, SEED).unwrap();
    assert!(service::seed_if_empty(
        &db,
        &settings(),
        &path,
        gantry_core::clock::testing::clock().now()
    )
    .await
    .unwrap());
    assert!(!service::seed_if_empty(
        &db,
        &settings(),
        &path,
        gantry_core::clock::testing::clock().now()
    )
    .await
    .unwrap());
    let history = store::history(&db, &slug("alb")).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].source, "import: infrastructure-status.md");
}

gantry_core::on_both_backends!(
    stored_roadmap_equals_the_parsed_document,
    reimport_is_idempotent,
    changed_document_updates_and_records_history,
    bad_document_changes_nothing,
    seed_only_into_an_empty_roadmap,
);
