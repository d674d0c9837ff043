//! Environments: storage, audited changes, seeding from the config and expired
//! previews, on SQLite and PostgreSQL.

use chrono::Duration;
use gantry_core::audit::{self, AuditFilter, AuditRecord, PageRequest};
use gantry_core::environments::model::{
    EnvName, EnvironmentInput, FreezeWindowInput, ServiceInput,
};
use gantry_core::environments::service::{self, SeedReport, CONFIG_ACTOR};
use gantry_core::environments::store;
use gantry_core::shared::Actor;
use gantry_core::{CoreError, Db};

fn name(raw: &str) -> EnvName {
    EnvName::parse(raw).unwrap()
}

fn ada() -> Actor {
    Actor {
        name: "Ada Admin <ada>".to_owned(),
        role: Some("admin".to_owned()),
        request_id: Some("req-7".to_owned()),
        source: "ui".to_owned(),
        subject: None,
    }
}

fn prod() -> EnvironmentInput {
    EnvironmentInput {
        name: "prod".into(),
        production: true,
        region: "eu-west-2".into(),
        account_id: "123456789012".into(),
        role_arn: Some("arn:aws:iam::123456789012:role/platform/gantry-deployer".into()),
        cluster: "backend-booking-prod".into(),
        services: vec![
            ServiceInput {
                name: "web".into(),
                container: "django".into(),
                health_url: Some("https://booking.example.com/health/".into()),
            },
            ServiceInput {
                name: "worker".into(),
                container: "celery".into(),
                health_url: None,
            },
        ],
        database: Some("backend-booking-prod".into()),
        ssm_prefix: "/backend-booking/prod/".into(),
        cost_tag_key: Some("Environment".into()),
        cost_tag_value: Some("prod".into()),
        monthly_budget_usd: Some(1250.75),
        approvals_required: Some(2),
        approver_groups: vec!["platform-leads".into(), "sre".into()],
        approval_distinct_groups: None,
        weekly_freezes: Vec::new(),
        freeze_time_zone: None,
        freeze_mode: None,
        approval_expiry_hours: Some(12),
        approval_reason_required: Some(true),
        freeze_windows: vec![FreezeWindowInput {
            starts_at: "2026-12-20T00:00:00Z".into(),
            ends_at: "2027-01-04T09:00:00+01:00".into(),
            reason: "Holiday season".into(),
        }],
        ttl_hours: None,
    }
}

fn dev() -> EnvironmentInput {
    EnvironmentInput {
        name: "dev".into(),
        region: "us-east-1".into(),
        account_id: "000000000042".into(),
        cluster: "backend-booking-dev".into(),
        services: vec![ServiceInput {
            name: "web".into(),
            container: "django".into(),
            health_url: Some("http://dev.internal:8000/health/".into()),
        }],
        ssm_prefix: "/backend-booking/dev/".into(),
        ..EnvironmentInput::default()
    }
}

fn preview(number: u32, ttl_hours: i64) -> EnvironmentInput {
    EnvironmentInput {
        name: format!("preview-{number}"),
        cluster: "backend-booking-previews".into(),
        ssm_prefix: format!("/backend-booking/preview-{number}/"),
        // Previews share the cluster, one service each.
        services: vec![ServiceInput {
            name: format!("preview-{number}-api"),
            container: "django".into(),
            health_url: None,
        }],
        ttl_hours: Some(ttl_hours),
        ..dev()
    }
}

async fn audit_records(db: &Db) -> Vec<AuditRecord> {
    audit::store::query(db, &AuditFilter::default(), &PageRequest::first(200))
        .await
        .unwrap()
        .records
}

async fn audit_actions(db: &Db) -> Vec<String> {
    audit_records(db)
        .await
        .into_iter()
        .map(|r| r.action)
        .collect()
}

#[track_caller]
fn invalid<T: std::fmt::Debug>(result: Result<T, CoreError>) -> String {
    match result {
        Err(CoreError::Invalid(message)) => message,
        other => panic!("expected CoreError::Invalid, got {other:?}"),
    }
}

async fn save_get_list_round_trip(db: Db) {
    let saved_prod = service::save(&db, &ada(), prod()).await.unwrap();
    let saved_dev = service::save(&db, &ada(), dev()).await.unwrap();
    let saved_preview = service::save(&db, &ada(), preview(7, 48)).await.unwrap();

    let got = service::get(&db, &name("prod")).await.unwrap();
    assert_eq!(got, saved_prod);
    assert_eq!(got.monthly_budget_cents, Some(125_075));
    assert_eq!(
        got.role_arn.as_ref().unwrap().as_str(),
        "arn:aws:iam::123456789012:role/platform/gantry-deployer"
    );
    assert_eq!(got.services.len(), 2);
    assert_eq!(got.approval.approver_groups, ["platform-leads", "sre"]);
    assert_eq!(
        got.approval.freeze_windows[0].ends_at.to_rfc3339(),
        "2027-01-04T08:00:00+00:00"
    );
    assert_eq!(
        got.to_input().validate().unwrap().settings_json(),
        got.settings_json()
    );

    assert_eq!(
        service::list(&db).await.unwrap(),
        vec![saved_dev.clone(), saved_preview.clone(), saved_prod.clone()]
    );
    assert_eq!(
        store::get(&db, &name("dev")).await.unwrap(),
        Some(saved_dev)
    );
    assert_eq!(store::get(&db, &name("staging")).await.unwrap(), None);
    assert!(matches!(
        service::get(&db, &name("staging")).await,
        Err(e @ CoreError::NotFound(_)) if e.to_string() == "environment \"staging\" not found"
    ));

    let records = audit_records(&db).await;
    assert_eq!(
        records
            .iter()
            .map(|r| r.action.as_str())
            .collect::<Vec<_>>(),
        ["environment.create"; 3]
    );
    let created = records.last().unwrap();
    assert_eq!(created.target, "environment:prod");
    assert_eq!(created.actor, "Ada Admin <ada>");
    assert_eq!(created.role.as_deref(), Some("admin"));
    assert_eq!(created.request_id.as_deref(), Some("req-7"));
    assert_eq!(created.before, None);
    let after = created.after.as_ref().unwrap();
    assert_eq!(after["ssm_prefix"], "/backend-booking/prod/");
    assert_eq!(after["approval"]["required_approvals"], 2);
    assert!(after.get("created_at").is_none());
    assert!(audit::store::verify(&db).await.unwrap().is_ok());
}

async fn update_is_audited_with_before_and_after(db: Db) {
    let created = service::save(&db, &ada(), dev()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let changed = EnvironmentInput {
        region: "eu-west-1".into(),
        monthly_budget_usd: Some(300.0),
        ..dev()
    };
    let updated = service::save(&db, &ada(), changed.clone()).await.unwrap();
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at > created.updated_at);
    assert_eq!(updated.region.as_str(), "eu-west-1");
    assert_eq!(service::get(&db, &name("dev")).await.unwrap(), updated);

    let records = audit_records(&db).await;
    assert_eq!(records.len(), 2);
    let update = &records[0];
    assert_eq!(update.action, "environment.update");
    assert_eq!(update.target, "environment:dev");
    assert_eq!(
        update.before,
        Some(serde_json::json!({ "region": "us-east-1", "monthly_budget_cents": null }))
    );
    assert_eq!(
        update.after,
        Some(serde_json::json!({ "region": "eu-west-1", "monthly_budget_cents": 30000 }))
    );

    // The same settings again: nothing written, nothing audited.
    let again = service::save(&db, &ada(), changed).await.unwrap();
    assert_eq!(again, updated);
    assert_eq!(audit_actions(&db).await.len(), 2);

    // Changing a list: the whole list before and after.
    let with_worker = EnvironmentInput {
        services: vec![
            dev().services[0].clone(),
            ServiceInput {
                name: "worker".into(),
                container: "celery".into(),
                health_url: None,
            },
        ],
        region: "eu-west-1".into(),
        monthly_budget_usd: Some(300.0),
        ..dev()
    };
    service::save(&db, &ada(), with_worker).await.unwrap();
    let update = &audit_records(&db).await[0];
    assert_eq!(
        update.before.as_ref().unwrap().as_object().unwrap().len(),
        1
    );
    assert_eq!(
        update.before.as_ref().unwrap()["services"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        update.after.as_ref().unwrap()["services"][1]["name"],
        "worker"
    );
    assert!(audit::store::verify(&db).await.unwrap().is_ok());
}

async fn invalid_inputs_change_nothing(db: Db) {
    let cases: Vec<(EnvironmentInput, &str)> = vec![
        (
            EnvironmentInput { region: "europe-west".into(), ..prod() },
            "environments.prod.region: region \"europe-west\": expected something like us-east-1",
        ),
        (
            EnvironmentInput {
                role_arn: Some("arn:aws:iam:123456789012:role/gantry".into()),
                ..prod()
            },
            "environments.prod.role_arn: role ARN \"arn:aws:iam:123456789012:role/gantry\": \
             expected arn:aws:iam::<12-digit account>:role/<name>",
        ),
        (
            EnvironmentInput {
                role_arn: Some("arn:aws:iam::123456789012:user/gantry".into()),
                ..prod()
            },
            "environments.prod.role_arn: role ARN \"arn:aws:iam::123456789012:user/gantry\": \
             resource \"user/gantry\" is not a role (expected role/<name>)",
        ),
        (
            EnvironmentInput { role_arn: Some("gantry-deployer".into()), ..prod() },
            "environments.prod.role_arn: role ARN \"gantry-deployer\": \
             expected arn:aws:iam::<12-digit account>:role/<name>",
        ),
        (
            EnvironmentInput { ssm_prefix: "backend-booking/prod/".into(), ..prod() },
            "environments.prod.ssm_prefix: SSM prefix \"backend-booking/prod/\" must start with '/'",
        ),
        (
            EnvironmentInput {
                account_id: "12345678901".into(),
                role_arn: None,
                ..prod()
            },
            "environments.prod.account_id: account id \"12345678901\" must be exactly 12 digits (got 11 digits)",
        ),
        (
            EnvironmentInput { ttl_hours: None, ..preview(3, 1) },
            "environments.preview-3.ttl_hours: required for preview environments (names starting with preview-)",
        ),
        (
            EnvironmentInput { approvals_required: Some(0), ..prod() },
            "environments.prod.approvals_required: a production environment needs at least 1 approval",
        ),
        (
            EnvironmentInput {
                freeze_windows: vec![FreezeWindowInput {
                    starts_at: "2026-12-20T00:00:00Z".into(),
                    ends_at: "2026-12-19T00:00:00Z".into(),
                    reason: "Holidays".into(),
                }],
                ..prod()
            },
            "environments.prod.freeze_windows[0].ends_at: 2026-12-19T00:00:00Z must be after starts_at 2026-12-20T00:00:00Z",
        ),
        (
            EnvironmentInput { monthly_budget_usd: Some(-10.0), ..prod() },
            "environments.prod.monthly_budget_usd: must not be negative (got -10)",
        ),
    ];
    for (input, expected) in &cases {
        let message = invalid(service::save(&db, &ada(), input.clone()).await);
        assert_eq!(&message, expected);
    }
    assert_eq!(service::list(&db).await.unwrap(), vec![]);
    assert_eq!(audit_actions(&db).await, Vec::<String>::new());

    // An invalid update leaves the stored environment as it was.
    let stored = service::save(&db, &ada(), prod()).await.unwrap();
    for (input, expected) in cases.into_iter().filter(|(i, _)| i.name == "prod") {
        let message = invalid(service::save(&db, &ada(), input).await);
        assert_eq!(message, expected);
    }
    assert_eq!(service::list(&db).await.unwrap(), vec![stored]);
    assert_eq!(audit_actions(&db).await, ["environment.create"]);
}

async fn seed_from_is_idempotent(db: Db) {
    let specs = vec![prod(), dev()];
    let report = service::seed_from(&db, &specs).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            created: vec![name("prod"), name("dev")],
            existing: vec![],
        }
    );
    let seeded = service::list(&db).await.unwrap();
    assert_eq!(seeded.len(), 2);
    let records = audit_records(&db).await;
    assert_eq!(records.len(), 2);
    assert!(records
        .iter()
        .all(|r| r.action == "environment.create" && r.actor == CONFIG_ACTOR));

    // Starting again changes nothing, even when the config now differs.
    let edited = vec![
        prod(),
        EnvironmentInput {
            region: "ap-southeast-1".into(),
            ..dev()
        },
        preview(9, 24),
    ];
    let report = service::seed_from(&db, &edited).await.unwrap();
    assert_eq!(report.created, vec![name("preview-9")]);
    assert_eq!(report.existing, vec![name("prod"), name("dev")]);
    let dev_now = service::get(&db, &name("dev")).await.unwrap();
    assert_eq!(dev_now.region.as_str(), "us-east-1");
    assert_eq!(audit_actions(&db).await.len(), 3);
    let again = service::seed_from(&db, &edited).await.unwrap();
    assert!(again.created.is_empty());
    assert_eq!(audit_actions(&db).await.len(), 3);

    // One bad spec, or a name given twice, refuses the whole set.
    let staging = EnvironmentInput {
        name: "staging".into(),
        ssm_prefix: "/backend-booking/staging/".into(),
        ..dev()
    };
    let bad = vec![
        staging.clone(),
        EnvironmentInput {
            ssm_prefix: "/backend-booking/qa".into(),
            name: "qa".into(),
            ..dev()
        },
    ];
    assert_eq!(
        invalid(service::seed_from(&db, &bad).await),
        "environments.qa.ssm_prefix: SSM prefix \"/backend-booking/qa\" must end with '/'"
    );
    let twice = vec![staging.clone(), staging];
    assert_eq!(
        invalid(service::seed_from(&db, &twice).await),
        "environments.staging: defined more than once"
    );
    assert!(service::get(&db, &name("staging")).await.is_err());
    assert_eq!(service::list(&db).await.unwrap().len(), 3);
    assert_eq!(audit_actions(&db).await.len(), 3);
    assert!(audit::store::verify(&db).await.unwrap().is_ok());
}

async fn deleting_production_is_refused(db: Db) {
    service::save(&db, &ada(), prod()).await.unwrap();
    let saved_dev = service::save(&db, &ada(), dev()).await.unwrap();

    assert_eq!(
        invalid(service::delete(&db, &ada(), &name("prod")).await),
        "environment \"prod\" is a production environment and cannot be deleted"
    );
    assert!(service::get(&db, &name("prod")).await.is_ok());
    assert_eq!(audit_actions(&db).await.len(), 2);

    let deleted = service::delete(&db, &ada(), &name("dev")).await.unwrap();
    assert_eq!(deleted, saved_dev);
    assert!(matches!(
        service::get(&db, &name("dev")).await,
        Err(CoreError::NotFound(_))
    ));
    let record = &audit_records(&db).await[0];
    assert_eq!(record.action, "environment.delete");
    assert_eq!(record.target, "environment:dev");
    assert_eq!(record.after, None);
    assert_eq!(
        record.before.as_ref().unwrap()["cluster"],
        "backend-booking-dev"
    );

    assert!(matches!(
        service::delete(&db, &ada(), &name("dev")).await,
        Err(e @ CoreError::NotFound(_)) if e.to_string() == "environment \"dev\" not found"
    ));
    assert_eq!(audit_actions(&db).await.len(), 3);
    assert!(audit::store::verify(&db).await.unwrap().is_ok());
}

async fn expired_previews_are_listed(db: Db) {
    service::save(&db, &ada(), prod()).await.unwrap();
    service::save(&db, &ada(), dev()).await.unwrap();
    let short = service::save(&db, &ada(), preview(1, 1)).await.unwrap();
    let long = service::save(&db, &ada(), preview(2, 72)).await.unwrap();
    assert_eq!(
        short.expires_at(),
        Some(short.created_at + Duration::hours(1))
    );

    let names = |envs: Vec<gantry_core::environments::Environment>| {
        envs.into_iter()
            .map(|e| e.name.to_string())
            .collect::<Vec<_>>()
    };
    // Measured from the previews' own creation (saving stamps them now).
    let start = short.created_at.max(long.created_at);
    let at = |hours: i64| start + Duration::hours(hours) + Duration::seconds(5);
    assert!(service::expired_previews(&db, start)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        names(service::expired_previews(&db, at(1)).await.unwrap()),
        ["preview-1"]
    );
    assert_eq!(
        names(service::expired_previews(&db, at(24 * 365)).await.unwrap()),
        ["preview-1", "preview-2"]
    );
    // Exactly at its expiry an environment counts as expired.
    assert_eq!(
        names(
            service::expired_previews(&db, long.expires_at().unwrap())
                .await
                .unwrap()
        ),
        ["preview-1", "preview-2"]
    );

    // A longer TTL postpones the expiry (counted from creation).
    service::save(&db, &ada(), preview(1, 48)).await.unwrap();
    assert!(service::expired_previews(&db, at(1))
        .await
        .unwrap()
        .is_empty());
}

/// The groups the role mapping makes approvers or admins, and every group
/// the fixtures' policies name.
fn approvers() -> Vec<String> {
    let mut groups: Vec<String> = [prod(), dev()]
        .iter()
        .flat_map(|e| e.approver_groups.clone())
        .collect();
    groups.push("gantry-admins".into());
    groups
}

async fn the_settings_form_refuses_a_group_nobody_approves_with(db: Db) {
    service::save(&db, &ada(), prod()).await.unwrap();
    let records = audit_records(&db).await.len();
    let mut form = prod();
    form.approver_groups = vec!["gantry-admins".into(), "platform-laeds".into()];
    form.monthly_budget_usd = Some(9999.0);
    let err = service::save_settings(&db, &ada(), form, &approvers())
        .await
        .unwrap_err()
        .public_message();
    assert!(
        err.starts_with("environments.prod.approver_groups[1]: group \"platform-laeds\" is not an approver or admin group"),
        "{err}"
    );
    assert!(err.contains("known: "), "{err}");
    assert!(!err.contains("approver_groups[0]"), "{err}");
    // Nothing changed.
    assert_eq!(
        service::get(&db, &name("prod"))
            .await
            .unwrap()
            .monthly_budget_cents,
        Some(125_075)
    );
    assert_eq!(audit_records(&db).await.len(), records);
}

async fn the_settings_form_keeps_the_stored_freeze_windows(db: Db) {
    service::save(&db, &ada(), prod()).await.unwrap();
    // The admin form has no freeze windows: its input carries none.
    let mut form = prod();
    form.freeze_windows.clear();
    form.monthly_budget_usd = Some(1300.0);
    let saved = service::save_settings(&db, &ada(), form, &approvers())
        .await
        .unwrap();
    assert_eq!(saved.monthly_budget_cents, Some(130_000));
    assert_eq!(saved.approval.freeze_windows.len(), 1);
    assert_eq!(saved.approval.freeze_windows[0].reason, "Holiday season");
    let stored = service::get(&db, &name("prod")).await.unwrap();
    assert_eq!(stored, saved);
    // Only the budget changed, and only it is audited.
    let update = audit_records(&db)
        .await
        .into_iter()
        .find(|r| r.action == "environment.update")
        .unwrap();
    let before = update.before.unwrap().to_string();
    assert!(before.contains("monthly_budget"), "{before}");
    assert!(!before.contains("freeze"), "{before}");
    // A new environment from the form starts without any.
    let saved = service::save_settings(&db, &ada(), dev(), &approvers())
        .await
        .unwrap();
    assert!(saved.approval.freeze_windows.is_empty());
    // Whereas a plain save replaces them.
    let mut plain = prod();
    plain.freeze_windows.clear();
    let saved = service::save(&db, &ada(), plain).await.unwrap();
    assert!(saved.approval.freeze_windows.is_empty());
}

gantry_core::on_both_backends!(
    the_settings_form_keeps_the_stored_freeze_windows,
    the_settings_form_refuses_a_group_nobody_approves_with,
    save_get_list_round_trip,
    update_is_audited_with_before_and_after,
    invalid_inputs_change_nothing,
    seed_from_is_idempotent,
    deleting_production_is_refused,
    expired_previews_are_listed,
);
