//! Hand edits of the roadmap: each change, its history and its audit record in
//! one transaction; invalid edits change nothing. On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use gantry_core::audit::{self, AuditFilter, PageRequest};
use gantry_core::roadmap::edit::{self, ModuleEdit, NewModule};
use gantry_core::roadmap::markdown::export::render_document;
use gantry_core::roadmap::model::{
    ModuleSlug, ModuleStatus, Phase, Priority, PriorityLevel, Section,
};
use gantry_core::roadmap::service::{self, RoadmapSettings};
use gantry_core::roadmap::store;
use gantry_core::shared::Actor;
use gantry_core::shared::EnvName;
use gantry_core::{CoreError, Db};

const SEED: &str = include_str!("../../../fixtures/infrastructure-status.md");

/// When the tests' edits happen (pinned: no test reads the wall clock).
fn now() -> chrono::DateTime<chrono::Utc> {
    gantry_core::clock::testing::clock().now()
}

fn env(name: &str) -> EnvName {
    EnvName::parse(name).unwrap()
}

fn envs() -> Vec<EnvName> {
    vec![env("dev"), env("prod")]
}

fn oscar() -> Actor {
    Actor {
        name: "Oscar Operator <oscar>".to_owned(),
        role: Some("operator".to_owned()),
        request_id: Some("req-1".to_owned()),
        source: "ui".to_owned(),
        subject: None,
    }
}

async fn seeded(db: &Db) {
    let settings = RoadmapSettings {
        environments: envs(),
    };
    let importer = Actor {
        source: "import: seed".to_owned(),
        ..oscar()
    };
    service::import_markdown(db, &settings, SEED, &importer, Default::default(), now())
        .await
        .unwrap();
}

async fn audit_actions(db: &Db) -> Vec<String> {
    audit::store::query(db, &AuditFilter::default(), &PageRequest::first(200))
        .await
        .unwrap()
        .records
        .into_iter()
        .map(|r| r.action)
        .collect()
}

fn waf_edit() -> ModuleEdit {
    ModuleEdit {
        statuses: BTreeMap::from([(env("prod"), ModuleStatus::InProgress)]),
        priority: Priority {
            default: None,
            per_env: BTreeMap::from([
                (env("dev"), PriorityLevel::Low),
                (env("prod"), PriorityLevel::High),
            ]),
        },
        phase: Some(Phase::Short),
        owner: Some("  Platform team ".to_owned()),
        target_date: Some("2026-12-15".to_owned()),
        notes: Some("Needs the ALB ARN".to_owned()),
    }
}

async fn edit_writes_history_audit_and_export(db: Db) {
    seeded(&db).await;
    assert_eq!(audit_actions(&db).await, vec!["roadmap.import"]);
    let waf = ModuleSlug::parse("waf").unwrap();
    let updated = edit::update_module(&db, &envs(), &oscar(), &waf, waf_edit(), now())
        .await
        .unwrap();
    assert_eq!(updated.owner.as_deref(), Some("Platform team"));
    assert_eq!(updated.statuses[&env("prod")], ModuleStatus::InProgress);

    let history = store::history(&db, &waf).await.unwrap();
    let fields: Vec<&str> = history.iter().map(|h| h.field.as_str()).collect();
    for f in ["status.prod", "phase", "owner", "target_date", "notes"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let status = history.iter().find(|h| h.field == "status.prod").unwrap();
    assert_eq!(
        (status.from.as_deref(), status.to.as_deref()),
        (Some("planned"), Some("in_progress"))
    );
    assert_eq!(status.actor, "Oscar Operator <oscar>");

    let records = audit::store::query(&db, &AuditFilter::default(), &PageRequest::first(10))
        .await
        .unwrap()
        .records;
    let last = &records[0];
    assert_eq!(last.action, "roadmap.module.update");
    assert_eq!(last.target, "module:waf");
    assert_eq!(last.request_id.as_deref(), Some("req-1"));
    assert_eq!(last.after.as_ref().unwrap()["status.prod"], "in_progress");
    assert!(audit::store::verify(&db).await.unwrap().is_ok());

    // The markdown export reflects the edit, and re-imports to the same state.
    let markdown = service::export_markdown(&db).await.unwrap();
    assert!(markdown.contains("Platform team"), "owner exported");
    assert!(markdown.contains("2026-12-15"), "target date exported");
    let roadmap = store::load(&db).await.unwrap();
    assert_eq!(render_document(&roadmap), markdown);

    // Saving the same values again changes nothing and records nothing.
    edit::update_module(&db, &envs(), &oscar(), &waf, waf_edit(), now())
        .await
        .unwrap();
    assert_eq!(
        store::history(&db, &waf).await.unwrap().len(),
        history.len()
    );
    assert_eq!(audit_actions(&db).await.len(), 2);
}

async fn invalid_edits_change_nothing(db: Db) {
    seeded(&db).await;
    let before = store::load(&db).await.unwrap();
    let waf = ModuleSlug::parse("waf").unwrap();
    let cases = [
        (
            ModuleEdit {
                target_date: Some("2026-13-40".into()),
                ..waf_edit()
            },
            "target date",
        ),
        (
            ModuleEdit {
                owner: Some("x".repeat(101)),
                ..waf_edit()
            },
            "owner",
        ),
        (
            ModuleEdit {
                statuses: BTreeMap::from([(env("staging"), ModuleStatus::Deployed)]),
                ..waf_edit()
            },
            "staging",
        ),
    ];
    for (bad, needle) in cases {
        match edit::update_module(&db, &envs(), &oscar(), &waf, bad, now()).await {
            Err(CoreError::Invalid(message)) => assert!(message.contains(needle), "{message}"),
            other => panic!("expected Invalid mentioning {needle}, got {other:?}"),
        }
    }
    let missing = ModuleSlug::parse("no-such-module").unwrap();
    assert!(matches!(
        edit::update_module(&db, &envs(), &oscar(), &missing, waf_edit(), now()).await,
        Err(CoreError::NotFound(_))
    ));
    assert_eq!(store::load(&db).await.unwrap(), before);
    assert_eq!(audit_actions(&db).await, vec!["roadmap.import"]);
}

async fn add_and_retire(db: Db) {
    seeded(&db).await;
    let new = NewModule {
        name: "Bastion Host Module".to_owned(),
        section: Section::Future,
        path: Some("modules/bastion/".to_owned()),
        purpose: Some("Break-glass SSH".to_owned()),
        priority: Some(PriorityLevel::Low),
    };
    let module = edit::add_module(&db, &envs(), &oscar(), new.clone(), now())
        .await
        .unwrap();
    assert_eq!(module.slug.as_str(), "bastion");
    assert_eq!(module.statuses[&env("prod")], ModuleStatus::Planned);
    match edit::add_module(&db, &envs(), &oscar(), new, now()).await {
        Err(CoreError::Invalid(m)) => assert!(m.contains("already exists"), "{m}"),
        other => panic!("duplicate accepted: {other:?}"),
    }
    let retired = edit::retire_module(&db, &oscar(), &module.slug, now())
        .await
        .unwrap();
    assert!(retired
        .statuses
        .values()
        .all(|s| *s == ModuleStatus::Retired));
    assert!(service::export_markdown(&db)
        .await
        .unwrap()
        .contains("Bastion Host Module"));
    assert_eq!(
        audit_actions(&db).await,
        vec![
            "roadmap.module.retire",
            "roadmap.module.create",
            "roadmap.import"
        ]
    );
    assert!(audit::store::verify(&db).await.unwrap().is_ok());
}

async fn failed_import_writes_no_audit_record(db: Db) {
    seeded(&db).await;
    let settings = RoadmapSettings {
        environments: envs(),
    };
    let err = service::import_markdown(
        &db,
        &settings,
        "# Notes\n\n## Lunch\n",
        &oscar(),
        Default::default(),
        now(),
    )
    .await;
    assert!(matches!(err, Err(CoreError::Import(_))));
    assert_eq!(audit_actions(&db).await, vec!["roadmap.import"]);
}

/// Drift the health area found is corrected on an operator's click, never
/// on its own: AWS shows prod's RDS instance while the roadmap says ready →
/// deployed, with the reason in the audit record; asked again, nothing is
/// left to correct.
async fn drift_is_corrected_on_request_only(db: Db) {
    seeded(&db).await;
    let rds = ModuleSlug::parse("rds").unwrap();
    let prod_status = |r: &gantry_core::roadmap::model::Roadmap| {
        r.module(&ModuleSlug::parse("rds").unwrap())
            .unwrap()
            .statuses[&env("prod")]
    };
    // No snapshot yet: no drift, nothing to correct.
    let err = gantry_core::compose::roadmap::correct_drift(&db, &oscar(), &rds, "prod", now())
        .await
        .unwrap_err()
        .public_message();
    assert!(err.starts_with("nothing to correct"), "{err}");
    let snapshot = crate::health_store::snap(
        "prod",
        gantry_core::clock::testing::start(),
        gantry_core::health::model::HealthStatus::Healthy,
        gantry_core::health::model::HealthStatus::Healthy,
    );
    gantry_core::health::store::save(&db, &snapshot, None, chrono::Duration::days(7))
        .await
        .unwrap();
    // Saving a snapshot corrects nothing by itself.
    let before = service::roadmap(&db).await.unwrap();
    assert_eq!(prod_status(&before), ModuleStatus::Ready);

    let status = gantry_core::compose::roadmap::correct_drift(&db, &oscar(), &rds, "prod", now())
        .await
        .unwrap();
    assert_eq!(status, ModuleStatus::Deployed);
    let after = service::roadmap(&db).await.unwrap();
    assert_eq!(prod_status(&after), ModuleStatus::Deployed);
    let history = service::module_history(&db, &rds).await.unwrap();
    assert!(history
        .iter()
        .any(|h| h.source == "drift correction" && h.to.as_deref() == Some("deployed")));
    assert!(audit_actions(&db)
        .await
        .contains(&"roadmap.module.update".to_owned()));
    let again = gantry_core::compose::roadmap::correct_drift(&db, &oscar(), &rds, "prod", now())
        .await
        .unwrap_err()
        .public_message();
    assert!(again.starts_with("nothing to correct"), "{again}");
    // Bad input: an environment the roadmap does not track, an unknown module.
    assert!(matches!(
        gantry_core::compose::roadmap::correct_drift(&db, &oscar(), &rds, "staging", now()).await,
        Err(CoreError::Invalid(_))
    ));
    assert!(matches!(
        gantry_core::compose::roadmap::correct_drift(
            &db,
            &oscar(),
            &ModuleSlug::parse("nope").unwrap(),
            "prod",
            now()
        )
        .await,
        Err(CoreError::NotFound(_))
    ));
}

/// Next steps edited by hand: done, reworded, moved, linked, added; each
/// change audited and in the linked module's history; the export writes
/// them back under their phase; bad input changes nothing.
async fn next_steps_are_edited_and_exported(db: Db) {
    use gantry_core::roadmap::steps::{self, StepInput};
    seeded(&db).await;
    let before = steps::list(&db).await.unwrap();
    let waf_step = before
        .iter()
        .find(|s| s.step.text.starts_with("Deploy WAF"))
        .expect("the seed's WAF step");
    assert_eq!(waf_step.step.phase, Phase::Medium);

    // Bad input first: nothing changes.
    let err = StepInput::parse("someday", "x", false, "").unwrap_err();
    assert!(matches!(err, CoreError::Invalid(_)));
    let ghost = StepInput::parse("short", "Ghost", false, "no-such-module").unwrap();
    assert!(matches!(
        steps::update(&db, &oscar(), waf_step.id, &ghost, now()).await,
        Err(CoreError::Invalid(m)) if m.contains("no-such-module")
    ));
    assert!(matches!(
        steps::update(&db, &oscar(), 987_654, &ghost, now()).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        steps::add(&db, &oscar(), &ghost, now()).await,
        Err(CoreError::Invalid(_))
    ));
    assert_eq!(steps::list(&db).await.unwrap(), before);

    // Done, reworded, moved to the short term and linked to the WAF module.
    let edit = StepInput::parse("short", "Deploy WAF in front of the ALB", true, "waf").unwrap();
    steps::update(&db, &oscar(), waf_step.id, &edit, now())
        .await
        .unwrap();
    let added = StepInput::parse("long", "Rotate the database password", false, "rds").unwrap();
    let id = steps::add(&db, &oscar(), &added, now()).await.unwrap();

    let after = steps::list(&db).await.unwrap();
    let moved = after.iter().find(|s| s.id == waf_step.id).unwrap();
    assert_eq!(moved.step.phase, Phase::Short);
    assert!(moved.step.completed);
    assert_eq!(moved.step.module.as_ref().map(|m| m.as_str()), Some("waf"));
    // At the end of its new phase.
    let short: Vec<i64> = after
        .iter()
        .filter(|s| s.step.phase == Phase::Short)
        .map(|s| s.id)
        .collect();
    assert_eq!(short.last(), Some(&waf_step.id));
    assert!(after
        .iter()
        .any(|s| s.id == id && s.step.phase == Phase::Long));

    let markdown = service::export_markdown(&db).await.unwrap();
    let short_term = markdown
        .split("### Short Term")
        .nth(1)
        .unwrap()
        .split("### ")
        .next()
        .unwrap();
    assert!(
        short_term.contains("✅ Deploy WAF in front of the ALB (COMPLETED)"),
        "{short_term}"
    );
    let medium_term = markdown
        .split("### Medium Term")
        .nth(1)
        .unwrap()
        .split("### ")
        .next()
        .unwrap();
    assert!(!medium_term.contains("Deploy WAF"), "{medium_term}");
    let long_term = markdown
        .split("### Long Term")
        .nth(1)
        .unwrap()
        .split("## ")
        .next()
        .unwrap();
    assert!(
        long_term.contains("Rotate the database password"),
        "{long_term}"
    );
    // The export imports back to the same steps (phase, text, done; the
    // document has no place for a hand-made module link: the importer links
    // by name again).
    let settings = RoadmapSettings {
        environments: envs(),
    };
    service::import_markdown(
        &db,
        &settings,
        &markdown,
        &oscar(),
        Default::default(),
        now(),
    )
    .await
    .unwrap();
    let shape = |v: Vec<steps::StoredStep>| {
        let mut v: Vec<(Phase, String, bool)> = v
            .into_iter()
            .map(|s| (s.step.phase, s.step.text, s.step.completed))
            .collect();
        v.sort();
        v
    };
    assert_eq!(shape(steps::list(&db).await.unwrap()), shape(after));

    let waf_history = service::module_history(&db, &ModuleSlug::parse("waf").unwrap())
        .await
        .unwrap();
    assert!(waf_history.iter().any(|h| h.field == "next step"
        && h.to.as_deref() == Some("[short] Deploy WAF in front of the ALB (completed)")));
    let actions = audit_actions(&db).await;
    assert!(actions.contains(&"roadmap.step.update".to_owned()));
    assert!(actions.contains(&"roadmap.step.add".to_owned()));
}

gantry_core::on_both_backends!(
    next_steps_are_edited_and_exported,
    drift_is_corrected_on_request_only,
    edit_writes_history_audit_and_export,
    invalid_edits_change_nothing,
    add_and_retire,
    failed_import_writes_no_audit_record,
);
