//! Health storage on SQLite and PostgreSQL: snapshots, latest per
//! environment, transitions only on change, pruning.

use chrono::{DateTime, Duration, Utc};
use gantry_core::health::model::{
    Assessment, EcsServiceObservation, HealthStatus, RdsObservation, ServiceHealth,
};
use gantry_core::health::snapshot::{
    DatabaseSnapshot, EnvironmentSnapshot, ServiceSnapshot, Sourced,
};
use gantry_core::health::store;
use gantry_core::Db;

use HealthStatus::*;

pub(crate) fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00.000Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn minutes(n: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(n)
}

/// An environment with service `api` and a database, in the given states.
pub(crate) fn snap(
    env: &str,
    at: DateTime<Utc>,
    api: HealthStatus,
    database: HealthStatus,
) -> EnvironmentSnapshot {
    let worst = api.max(database);
    EnvironmentSnapshot {
        environment: env.to_owned(),
        polled_at: at,
        overall: Assessment::new(worst, format!("{env} is {worst}")),
        services: vec![ServiceSnapshot {
            name: "api".to_owned(),
            health: ServiceHealth {
                overall: Assessment::new(api, format!("api is {api}")),
                parts: Vec::new(),
            },
            ecs: Sourced::read(
                EcsServiceObservation {
                    found: true,
                    desired: 2,
                    running: 2,
                    ..Default::default()
                },
                at,
            ),
            targets: None,
            alarms: None,
            probe: None,
            image: Some("registry/api:v1".to_owned()),
            task_definition: Some("api:3".to_owned()),
            last_deploy_at: Some(t0()),
        }],
        database: Some(DatabaseSnapshot {
            identifier: format!("{env}-db"),
            health: Assessment::new(database, format!("database is {database}")),
            rds: Sourced::read(
                RdsObservation {
                    found: true,
                    identifier: format!("{env}-db"),
                    status: "available".to_owned(),
                    multi_az: false,
                },
                at,
            ),
        }),
        parameters: Sourced::read(Vec::new(), at),
    }
}

const DAY: Duration = Duration::days(1);

fn summary(
    t: &gantry_core::health::snapshot::HealthTransition,
) -> (String, Option<HealthStatus>, HealthStatus) {
    (t.subject.clone(), t.from, t.to)
}

async fn transitions_only_on_change(db: Db) {
    // First poll: every subject starts from nothing.
    let first = snap("dev", minutes(0), Progressing, Healthy);
    let written = store::save(&db, &first, None, DAY).await.unwrap();
    assert_eq!(
        written.iter().map(summary).collect::<Vec<_>>(),
        [
            ("environment".to_owned(), None, Progressing),
            ("service:api".to_owned(), None, Progressing),
            ("database".to_owned(), None, Healthy),
        ]
    );
    assert_eq!(written[0].reason, "dev is Progressing");
    assert_eq!(written[0].at, minutes(0));
    assert_eq!(
        store::latest(&db, "dev").await.unwrap(),
        Some(first.clone())
    );

    // Same statuses (other reasons): nothing.
    let mut same = snap("dev", minutes(1), Progressing, Healthy);
    same.overall.reason = "still rolling out".to_owned();
    assert!(store::save(&db, &same, Some(&first), DAY)
        .await
        .unwrap()
        .is_empty());

    // The service degrades.
    let worse = snap("dev", minutes(2), Degraded, Healthy);
    let written = store::save(&db, &worse, Some(&same), DAY).await.unwrap();
    assert_eq!(
        written.iter().map(summary).collect::<Vec<_>>(),
        [
            ("environment".to_owned(), Some(Progressing), Degraded),
            ("service:api".to_owned(), Some(Progressing), Degraded),
        ]
    );

    // The database goes unknown; the service recovers.
    let mixed = snap("dev", minutes(3), Healthy, Unknown);
    store::save(&db, &mixed, Some(&worse), DAY).await.unwrap();

    // Newest first, limited; other environments' never mixed in.
    store::save(&db, &snap("prod", minutes(3), Healthy, Healthy), None, DAY)
        .await
        .unwrap();
    let all = store::transitions(&db, "dev", 100).await.unwrap();
    assert_eq!(all.len(), 3 + 2 + 3);
    assert!(all.iter().all(|t| t.environment == "dev"));
    assert_eq!(all[0].at, minutes(3));
    assert_eq!(all.last().unwrap().at, minutes(0));
    let newest: Vec<_> = store::transitions(&db, "dev", 3)
        .await
        .unwrap()
        .iter()
        .map(summary)
        .collect();
    assert_eq!(newest.len(), 3);
    assert!(newest.contains(&("database".to_owned(), Some(Healthy), Unknown)));
    assert!(newest.contains(&("service:api".to_owned(), Some(Degraded), Healthy)));
    assert!(newest.contains(&("environment".to_owned(), Some(Degraded), Unknown)));
    assert!(store::transitions(&db, "staging", 10)
        .await
        .unwrap()
        .is_empty());
}

async fn latest_per_environment(db: Db) {
    assert_eq!(store::latest(&db, "dev").await.unwrap(), None);
    assert!(store::latest_all(&db).await.unwrap().is_empty());

    let mut prev = None;
    for (i, status) in [Healthy, Progressing, Degraded].into_iter().enumerate() {
        let s = snap("dev", minutes(i as i64), status, Healthy);
        store::save(&db, &s, prev.as_ref(), DAY).await.unwrap();
        prev = Some(s);
    }
    let prod_old = snap("prod", minutes(0), Healthy, Healthy);
    store::save(&db, &prod_old, None, DAY).await.unwrap();
    let prod_new = snap("prod", minutes(5), Healthy, Missing);
    store::save(&db, &prod_new, Some(&prod_old), DAY)
        .await
        .unwrap();
    // Saved later but polled earlier: not the latest.
    store::save(&db, &snap("prod", minutes(4), Degraded, Healthy), None, DAY)
        .await
        .unwrap();

    let latest = store::latest_all(&db).await.unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0].environment, "dev");
    assert_eq!(latest[0].overall.status, Degraded);
    assert_eq!(latest[0].polled_at, minutes(2));
    assert_eq!(latest[1], prod_new);
    assert_eq!(
        store::latest(&db, "prod").await.unwrap(),
        Some(prod_new.clone())
    );

    // Two polls at the same instant: the one stored last wins, everywhere.
    let tie = snap("prod", minutes(5), Degraded, Degraded);
    store::save(&db, &tie, Some(&prod_new), DAY).await.unwrap();
    assert_eq!(store::latest(&db, "prod").await.unwrap(), Some(tie.clone()));
    assert_eq!(store::latest_all(&db).await.unwrap()[1], tie);
}

async fn old_snapshots_are_pruned_but_the_latest_kept(db: Db) {
    let hour = Duration::hours(1);
    let mut prev: Option<EnvironmentSnapshot> = None;
    for m in [0, 30, 120] {
        let s = snap("dev", minutes(m), Healthy, Healthy);
        store::save(&db, &s, prev.as_ref(), hour).await.unwrap();
        prev = Some(s);
    }
    store::save(&db, &snap("prod", minutes(0), Healthy, Healthy), None, hour)
        .await
        .unwrap();
    // 0 and 30 are more than an hour before 120.
    assert_eq!(store::snapshot_count(&db, "dev").await.unwrap(), 1);
    let s = snap("dev", minutes(150), Healthy, Healthy);
    store::save(&db, &s, prev.as_ref(), hour).await.unwrap();
    assert_eq!(store::snapshot_count(&db, "dev").await.unwrap(), 2);
    // A zero retention keeps only the latest.
    let last = snap("dev", minutes(151), Healthy, Healthy);
    store::save(&db, &last, Some(&s), Duration::zero())
        .await
        .unwrap();
    assert_eq!(store::snapshot_count(&db, "dev").await.unwrap(), 1);
    assert_eq!(store::latest(&db, "dev").await.unwrap(), Some(last));
    // Only the saved environment is pruned.
    assert_eq!(store::snapshot_count(&db, "prod").await.unwrap(), 1);
    // Transitions are history: not pruned with the snapshots.
    assert_eq!(store::transitions(&db, "dev", 100).await.unwrap().len(), 3);
}

async fn history_past_retention_or_of_deleted_environments_is_pruned(db: Db) {
    // dev: a transition at minute 0 (first poll) and minute 60 (Degraded).
    let first = snap("dev", minutes(0), Healthy, Healthy);
    store::save(&db, &first, None, DAY).await.unwrap();
    let worse = snap("dev", minutes(60), Degraded, Healthy);
    store::save(&db, &worse, Some(&first), DAY).await.unwrap();
    // preview-1, since deleted: a snapshot and its first transitions.
    store::save(
        &db,
        &snap("preview-1", minutes(0), Healthy, Healthy),
        None,
        DAY,
    )
    .await
    .unwrap();
    let dev_before = store::transitions(&db, "dev", 100).await.unwrap();
    assert!(dev_before.iter().any(|t| t.at == minutes(0)));
    assert!(dev_before.iter().any(|t| t.at == minutes(60)));

    let pruned = store::prune_history(&db, minutes(30), &["dev".to_owned()])
        .await
        .unwrap();
    assert!(pruned > 0);
    let dev_after = store::transitions(&db, "dev", 100).await.unwrap();
    assert!(!dev_after.is_empty());
    assert!(
        dev_after.iter().all(|t| t.at >= minutes(30)),
        "{dev_after:?}"
    );
    assert_eq!(
        dev_after.len(),
        dev_before.iter().filter(|t| t.at == minutes(60)).count()
    );
    // The deleted environment's history is gone; dev's snapshots stay.
    assert!(store::transitions(&db, "preview-1", 100)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store::snapshot_count(&db, "preview-1").await.unwrap(), 0);
    assert_eq!(store::snapshot_count(&db, "dev").await.unwrap(), 2);
    assert_eq!(store::latest(&db, "dev").await.unwrap(), Some(worse));
    // Nothing left to prune.
    assert_eq!(
        store::prune_history(&db, minutes(30), &["dev".to_owned()])
            .await
            .unwrap(),
        0
    );
}

async fn snapshots_round_trip_whole(db: Db) {
    let mut s = snap("dev", minutes(0), Healthy, Healthy);
    s.services[0].health.parts.push((
        gantry_core::health::model::Component::Ecs,
        Assessment::new(Healthy, "2/2 tasks running (revision 3)"),
    ));
    s.overall.reason = "reason with 'quotes', \"double\" and ünïcödé".to_owned();
    store::save(&db, &s, None, DAY).await.unwrap();
    assert_eq!(store::latest(&db, "dev").await.unwrap(), Some(s));
}

gantry_core::on_both_backends!(
    transitions_only_on_change,
    latest_per_environment,
    old_snapshots_are_pruned_but_the_latest_kept,
    history_past_retention_or_of_deleted_environments_is_pruned,
    snapshots_round_trip_whole,
);
