//! The health poller: over the demo account in moto through the real SDK
//! clients (with the exact AWS calls per poll), and over scripted rollouts
//! moto cannot simulate ([`ScriptedHealthSource`], a test double).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gantry_core::aws::testing::{demo_environment_input, moto_settings};
use gantry_core::aws::AwsHealthSource;
use gantry_core::aws::{AwsCallCounter, AwsClients};
use gantry_core::environments::model::{Environment, EnvironmentInput};
use gantry_core::environments::service;
use gantry_core::health::model::{
    DeploymentObservation, DeploymentStatus, EcsServiceObservation, HealthStatus, RolloutState,
};
use gantry_core::health::poll::Poller;
use gantry_core::health::scripted::ScriptedHealthSource;
use gantry_core::health::snapshot::EnvironmentSnapshot;
use gantry_core::health::source::{HealthSource, Observed, ObservedService};
use gantry_core::health::store;
use gantry_core::shared::Actor;
use gantry_core::Db;
use tokio_util::sync::CancellationToken;

use HealthStatus::*;

fn actor() -> Actor {
    Actor {
        name: "gantry tests".to_owned(),
        role: Some("admin".to_owned()),
        request_id: None,
        source: "test".to_owned(),
        subject: None,
    }
}

async fn with_environments(inputs: Vec<EnvironmentInput>) -> Db {
    let db = gantry_core::db::testing::sqlite().await;
    for input in inputs {
        service::save(&db, &actor(), input).await.unwrap();
    }
    db
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00.000Z")
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::seconds(seconds)
}

fn counts(calls: &AwsCallCounter) -> BTreeMap<String, u64> {
    calls
        .by_operation()
        .into_iter()
        .map(|((service, op), n)| (format!("{service} {op}"), n))
        .collect()
}

fn delta(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, n)| (k.clone(), n - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn expected(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_the_demo_account_with_a_known_number_of_aws_calls() {
    let db = with_environments(vec![
        demo_environment_input("dev"),
        demo_environment_input("prod"),
    ])
    .await;
    let calls = AwsCallCounter::new();
    let source = AwsHealthSource::new(AwsClients::new(moto_settings(), calls.clone())).unwrap();
    let poller = Poller::new(
        db.clone(),
        Arc::new(source),
        Duration::from_secs(60),
        chrono::Duration::days(7),
    );

    let first = poller.poll_once(at(0)).await.unwrap();
    assert_eq!(
        first
            .iter()
            .map(|s| (s.environment.as_str(), s.overall.status))
            .collect::<Vec<_>>(),
        [("dev", Progressing), ("prod", Progressing)]
    );
    let after_first = counts(&calls);
    // Per environment: DescribeServices, DescribeTargetGroups (first poll
    // only), DescribeTargetHealth, DescribeAlarms, DescribeDBInstances,
    // GetParametersByPath; the task definition both share is read once.
    assert_eq!(
        after_first,
        expected(&[
            ("cloudwatch DescribeAlarms", 2),
            ("ecs DescribeServices", 2),
            ("ecs DescribeTaskDefinition", 1),
            ("elbv2 DescribeTargetGroups", 2),
            ("elbv2 DescribeTargetHealth", 2),
            ("rds DescribeDBInstances", 2),
            ("ssm GetParametersByPath", 2),
        ])
    );

    let second = poller.poll_once(at(60)).await.unwrap();
    assert_eq!(second.len(), 2);
    let second_calls = delta(&counts(&calls), &after_first);
    // Task definitions and target groups' load balancers come from the cache.
    assert_eq!(
        second_calls,
        expected(&[
            ("cloudwatch DescribeAlarms", 2),
            ("ecs DescribeServices", 2),
            ("elbv2 DescribeTargetHealth", 2),
            ("rds DescribeDBInstances", 2),
            ("ssm GetParametersByPath", 2),
        ])
    );
    let first_total: u64 = after_first.values().sum();
    let steady: u64 = second_calls.values().sum();
    assert_eq!((first_total, steady), (13, 10));
    println!(
        "AWS calls per poll (dev + prod): first {first_total}, then {steady} \
         ({} per environment); at one poll a minute: {steady} calls/minute",
        steady / 2
    );
    println!("{}", calls.render_prometheus());

    for env in ["dev", "prod"] {
        assert_eq!(store::snapshot_count(&db, env).await.unwrap(), 2);
        let latest = store::latest(&db, env).await.unwrap().unwrap();
        assert_eq!(latest.polled_at, at(60));
        assert_eq!(
            latest,
            *second.iter().find(|s| s.environment == env).unwrap()
        );
        // First poll: environment, service and database from nothing; no
        // change since.
        let transitions = store::transitions(&db, env, 10).await.unwrap();
        let mut subjects: Vec<&str> = transitions.iter().map(|t| t.subject.as_str()).collect();
        subjects.sort_unstable();
        assert_eq!(
            subjects,
            ["database", "environment", "service:backend-booking-api"]
        );
        assert!(transitions
            .iter()
            .all(|t| t.from.is_none() && t.at == at(0)));
    }
    assert_eq!(store::latest_all(&db).await.unwrap(), second);
}

fn deployment(
    status: DeploymentStatus,
    revision: u32,
    state: RolloutState,
    running: u32,
    reason: Option<&str>,
) -> DeploymentObservation {
    DeploymentObservation {
        id: format!("ecs-svc/{revision}"),
        status,
        rollout_state: Some(state),
        rollout_state_reason: reason.map(str::to_owned),
        desired: 3,
        running,
        task_definition: format!("backend-booking:{revision}"),
        ..Default::default()
    }
}

fn ecs(running: u32, deployments: Vec<DeploymentObservation>, circuit_breaker: bool) -> Observed {
    Observed {
        services: vec![ObservedService::new(
            "backend-booking-api",
            Ok(EcsServiceObservation {
                found: true,
                desired: 3,
                running,
                deployments,
                circuit_breaker_triggered: circuit_breaker,
                ..Default::default()
            }),
        )],
        database: None,
        parameters: Ok(Vec::new()),
    }
}

fn staging() -> EnvironmentInput {
    EnvironmentInput {
        name: "staging".into(),
        cluster: "backend-booking-staging".into(),
        database: None,
        ssm_prefix: "/backend-booking/staging/".into(),
        ..demo_environment_input("dev")
    }
}

#[tokio::test]
async fn a_scripted_rollout_progresses_fails_and_recovers() {
    use DeploymentStatus::{Active, Primary};
    use RolloutState::{Completed, Failed, InProgress};
    let db = with_environments(vec![staging()]).await;
    let scripted = Arc::new(ScriptedHealthSource::new());
    scripted
        .push(
            "staging",
            ecs(3, vec![deployment(Primary, 12, Completed, 3, None)], false),
        )
        .push(
            "staging",
            ecs(
                3,
                vec![
                    deployment(Primary, 13, InProgress, 1, None),
                    deployment(Active, 12, Completed, 3, None),
                ],
                false,
            ),
        )
        .push(
            "staging",
            ecs(
                3,
                vec![
                    deployment(Primary, 12, InProgress, 3, None),
                    deployment(
                        Active,
                        13,
                        Failed,
                        0,
                        Some("ECS deployment circuit breaker: tasks failed to start."),
                    ),
                ],
                true,
            ),
        )
        .push(
            "staging",
            ecs(3, vec![deployment(Primary, 12, Completed, 3, None)], false),
        );
    let poller = Poller::new(
        db.clone(),
        scripted.clone(),
        Duration::from_secs(60),
        chrono::Duration::days(1),
    );

    let mut seen = Vec::new();
    for i in 0..5 {
        let snaps = poller.poll_once(at(i * 60)).await.unwrap();
        seen.push((snaps[0].overall.status, snaps[0].overall.reason.clone()));
    }
    assert_eq!(scripted.observations(), 5);
    assert_eq!(
        seen[0],
        (
            Healthy,
            "backend-booking-api: 3/3 tasks running (revision 12)".to_owned()
        )
    );
    assert_eq!(
        seen[1],
        (
            Progressing,
            "backend-booking-api: deploying revision 13: 1/3 running".to_owned()
        )
    );
    assert_eq!(
        seen[2],
        (
            Degraded,
            "backend-booking-api: 3/3 tasks running; deployment failed (circuit breaker); now deploying revision 12"
                .to_owned()
        )
    );
    assert_eq!(seen[3].0, Healthy);
    // The script ran out: the last observation repeats.
    assert_eq!(seen[4], seen[3]);

    let history: Vec<(Option<HealthStatus>, HealthStatus)> = store::transitions(&db, "staging", 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.subject == "environment")
        .map(|t| (t.from, t.to))
        .collect();
    assert_eq!(
        history,
        [
            (Some(Degraded), Healthy),
            (Some(Progressing), Degraded),
            (Some(Healthy), Progressing),
            (None, Healthy),
        ]
    );
    assert_eq!(store::snapshot_count(&db, "staging").await.unwrap(), 5);
}

/// Test double: panics on the environment named `broken`, else scripted.
struct PanicsOnBroken(ScriptedHealthSource);

impl HealthSource for PanicsOnBroken {
    fn observe<'a>(
        &'a self,
        env: &'a Environment,
        previous: Option<&'a EnvironmentSnapshot>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, EnvironmentSnapshot> {
        assert_ne!(
            env.name.as_str(),
            "broken",
            "test double: this environment panics"
        );
        self.0.observe(env, previous, now)
    }
}

#[tokio::test]
async fn one_environment_failing_does_not_stop_the_others() {
    // Its own cluster and prefix: environments may not overlap.
    let broken = EnvironmentInput {
        name: "broken".into(),
        cluster: "backend-booking-broken".into(),
        ssm_prefix: "/backend-booking/broken/".into(),
        ..staging()
    };
    let db = with_environments(vec![staging(), broken]).await;
    let scripted = ScriptedHealthSource::new();
    scripted.push("staging", ecs(3, vec![], false));
    let poller = Poller::new(
        db.clone(),
        Arc::new(PanicsOnBroken(scripted)),
        Duration::from_secs(60),
        chrono::Duration::days(1),
    );
    let snaps = poller.poll_once(at(0)).await.unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].environment, "staging");
    assert_eq!(store::snapshot_count(&db, "broken").await.unwrap(), 0);
}

#[tokio::test]
async fn the_spawned_poller_polls_at_start_on_demand_and_stops() {
    let db = with_environments(vec![staging()]).await;
    let scripted = Arc::new(ScriptedHealthSource::new());
    scripted.push("staging", ecs(3, vec![], false));
    let poller = Poller::new(
        db.clone(),
        scripted.clone(),
        Duration::from_secs(3600),
        chrono::Duration::days(1),
    );
    let trigger = poller.trigger();
    let shutdown = CancellationToken::new();
    let handle = poller.spawn(shutdown.clone());

    let wait_for = |n: i64| {
        let db = db.clone();
        async move {
            for _ in 0..200 {
                if store::snapshot_count(&db, "staging").await.unwrap() >= n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            panic!("no snapshot #{n} within 5 s");
        }
    };
    wait_for(1).await; // at start
    trigger.poll_now();
    wait_for(2).await; // on demand, long before the hour is up
    assert_eq!(scripted.observations(), 2);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("the poller stops")
        .unwrap();
    assert_eq!(store::snapshot_count(&db, "staging").await.unwrap(), 2);
}
