//! Three `gantry` processes (two job workers each) on one PostgreSQL, 50
//! jobs over 5 environments enqueued while they run: each job runs exactly
//! once, and one at a time per environment, in order.
//!
//! The jobs of an environment form a chain of scale steps — job k takes the
//! service from k+1 to k+2 tasks — so a job run out of order, or while
//! another of its environment runs, finds ECS at neither its before nor its
//! after and ends stale; a job run twice shows as a second `job.started` or a
//! `job.reclaimed` in the audit log, and a second attempt of its step. The
//! end state is checked in ECS (moto, a server of the test's own) and the
//! audit chain, appended to by the three processes at once, must verify.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, NetworkMode};
use gantry_core::audit::keys::{AuditKey, AuditKeyring, AuditSettings};
use gantry_core::audit::{AuditFilter, PageRequest};
use gantry_core::aws::testing::PrivateMoto;
use gantry_core::aws::{ecs_change, AwsCallCounter, AwsClients};
use gantry_core::db::DbOptions;
use gantry_core::jobs::model::{Plan, PlanStep};
use gantry_core::jobs::store::{self, NewJob};
use gantry_core::jobs::{JobKind, JobState};
use gantry_core::shared::EnvName;
use gantry_core::Db;
use secrecy::SecretString;
use serde_json::json;

use crate::common::process::{free_port, wait_ready, GantryProcess};

const AUDIT_KEY: &str = "replicas-test-audit-key-0123456789abcdef";
const ENVIRONMENTS: usize = 5;
const JOBS_PER_ENVIRONMENT: i32 = 10;
const REPLICAS: usize = 3;

fn config(dir: &std::path::Path, port: u16, database: &str, moto: &PrivateMoto) -> String {
    let mut text = format!(
        r#"
[server]
bind = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"

[database]
url = "{database}"

[auth.dev]
enabled = true
users = [{{ subject = "oscar", name = "Oscar Operator", groups = ["gantry-operators"] }}]

[audit]
key = "{AUDIT_KEY}"
key_id = "replicas"

[aws]
endpoint_url = "{endpoint}"
stand_in_credentials = true

[health]
enabled = false

[cost]
enabled = false

[jobs]
multi_replica = true
workers = 2
lease_secs = 10
heartbeat_secs = 2
poll_interval_ms = 500
"#,
        endpoint = moto.endpoint().as_str().trim_end_matches('/'),
    );
    for e in 0..ENVIRONMENTS {
        text.push_str(&format!(
            "\n[[environments]]\nname = \"replica-{e}\"\nregion = \"us-east-1\"\naccount_id = \"123456789012\"\ncluster = \"replicas-{e}\"\nservices = [{{ name = \"api\", container = \"django\" }}]\nssm_prefix = \"/replicas/{e}/\"\n"
        ));
    }
    let path = dir.join(format!("gantry-{port}.toml"));
    std::fs::write(&path, text).expect("config");
    path.to_string_lossy().into_owned()
}

fn chain_step(service: &str, from: i32) -> Plan {
    Plan {
        steps: vec![PlanStep {
            name: format!("Scale {service} from {from} to {} task(s)", from + 1),
            action: "ecs.scale".to_owned(),
            before: json!({ "service": service, "desired": from }),
            after: json!({ "service": service, "desired": from + 1 }),
            timeout_secs: Some(120),
        }],
        fingerprint: format!("chain-{from}"),
        compute: None,
        attempt: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_run_fifty_jobs_each_once_one_at_a_time_per_environment() {
    let moto = PrivateMoto::start();
    let ecs = AwsClients::new(moto.settings(), AwsCallCounter::new())
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await
        .ecs;
    for e in 0..ENVIRONMENTS {
        let cluster = format!("replicas-{e}");
        ecs.create_cluster()
            .cluster_name(&cluster)
            .send()
            .await
            .unwrap();
        let td = ecs
            .register_task_definition()
            .family(format!("replicas-{e}"))
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("django")
                    .image("registry.example/booking:1.0.0")
                    .essential(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let arn = td.task_definition().unwrap().task_definition_arn().unwrap();
        ecs.create_service()
            .cluster(&cluster)
            .service_name("api")
            .task_definition(arn)
            .desired_count(1)
            .send()
            .await
            .unwrap();
    }

    let (_, url) = gantry_core::db::testing::postgres_database().await;
    let dir = std::env::temp_dir().join(format!("gantry-replicas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        let port = free_port();
        let path = config(&dir, port, &url, &moto);
        let mut replica = GantryProcess(
            Command::new(env!("CARGO_BIN_EXE_gantry"))
                .args(["--config", &path, "serve"])
                .env("GANTRY_LOG__FILTER", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start gantry"),
        );
        // One at a time: the first applies the migrations.
        wait_ready(port, &mut replica).await;
        replicas.push((port, replica, path));
    }

    // The test's own handle on the database, with the replicas' audit key.
    let key = AuditKey::new("replicas", SecretString::from(AUDIT_KEY)).unwrap();
    let db = Db::connect(&DbOptions::new(url.clone()))
        .await
        .unwrap()
        .with_audit(AuditSettings {
            keyring: Some(AuditKeyring::new(key, Vec::new()).unwrap()),
            checkpoint_file: None,
        });
    let started = Instant::now();
    let mut expected = BTreeMap::new();
    for k in 0..JOBS_PER_ENVIRONMENT {
        for e in 0..ENVIRONMENTS {
            let new = NewJob {
                environment: EnvName::parse(&format!("replica-{e}")).unwrap(),
                kind: JobKind::Scale,
                requested_by: gantry_core::jobs::testing::operator(),
                params: json!({ "service": "api", "desired": k + 2 }),
                plan: chain_step("api", k + 1),
                production: false,
                creates: None,
                request_reason: None,
            };
            let job = store::enqueue(&db, &new, gantry_core::clock::testing::clock().now())
                .await
                .unwrap();
            expected.insert(job.id, (e, k));
        }
    }

    let deadline = Instant::now() + Duration::from_secs(120);
    let jobs = loop {
        let page = store::list(
            &db,
            &store::JobFilter::default(),
            &store::JobPageRequest::first(200),
        )
        .await
        .unwrap();
        if page.jobs.iter().all(|j| j.state.is_final()) && page.jobs.len() == expected.len() {
            break page.jobs;
        }
        assert!(
            Instant::now() < deadline,
            "not all jobs ended: {:?}",
            page.jobs
                .iter()
                .map(|j| (j.id, j.state))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let elapsed = started.elapsed();
    for job in &jobs {
        assert_eq!(
            job.state,
            JobState::Succeeded,
            "job {} {:?}",
            job.id,
            job.reason
        );
        let detail = store::get(&db, job.id).await.unwrap();
        assert_eq!(
            detail.steps[0].attempts, 1,
            "job {} ran its step once",
            job.id
        );
    }

    // Exactly one start per job, no re-claim; and the order per environment.
    let filter = AuditFilter {
        action: Some("job.*".to_owned()),
        ..AuditFilter::default()
    };
    let mut records = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let found = gantry_core::audit::store::query(&db, &filter, &page)
            .await
            .unwrap();
        records.extend(found.records);
        match found.next_before_id {
            Some(before) => page.before_id = Some(before),
            None => break,
        }
    }
    let mut starts: BTreeMap<String, usize> = BTreeMap::new();
    let mut workers = BTreeSet::new();
    for r in &records {
        assert_ne!(r.action, "job.reclaimed", "{r:?}");
        if r.action == "job.started" {
            *starts.entry(r.target.clone()).or_default() += 1;
            if let Some(worker) = r.after.as_ref().and_then(|a| a["worker"].as_str()) {
                workers.insert(
                    worker
                        .rsplit_once('-')
                        .map_or(worker, |(p, _)| p)
                        .to_owned(),
                );
            }
        }
    }
    assert_eq!(starts.len(), expected.len());
    assert!(starts.values().all(|n| *n == 1), "{starts:?}");
    // The order, from the audit chain (its ids are the order in which the
    // transactions appended, under the chain's lock; the replicas' clocks
    // play no part): per environment, each job starts after the previous
    // one ended.
    let audit_id = |target: &str, action: &str| {
        records
            .iter()
            .find(|r| r.target == target && r.action == action)
            .map(|r| r.id)
            .unwrap_or_else(|| panic!("no {action} for {target}"))
    };
    for e in 0..ENVIRONMENTS {
        let mut ids: Vec<_> = jobs
            .iter()
            .filter(|j| j.environment.as_str() == format!("replica-{e}"))
            .map(|j| j.id)
            .collect();
        ids.sort();
        for pair in ids.windows(2) {
            let ended = audit_id(&pair[0].audit_target(), "job.succeeded");
            let next = audit_id(&pair[1].audit_target(), "job.started");
            assert!(
                ended < next,
                "replica-{e}: job {} started (record {next}) before job {} ended (record {ended})",
                pair[1],
                pair[0]
            );
        }
        let state = ecs_change::service_state(&ecs, &format!("replicas-{e}"), "api")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(state.desired, JOBS_PER_ENVIRONMENT + 1, "replica-{e}");
    }
    let report = gantry_core::audit::store::verify(&db).await.unwrap();
    assert!(report.is_ok(), "{}", report.summary());
    let verify = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["--config", &replicas[0].2, "audit", "verify"])
        .env("GANTRY_LOG__FILTER", "warn")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    println!(
        "{} jobs over {ENVIRONMENTS} environments by {REPLICAS} replicas ({} processes claimed jobs) in {:.1} s; {} audit records verified",
        expected.len(),
        workers.len(),
        elapsed.as_secs_f64(),
        records.len()
    );
    drop(replicas);
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
