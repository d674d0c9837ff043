//! A fault that lasts shows while it lasts, through the real binary: a
//! deploy waits for a rollout that cannot converge (a moto of the test's own,
//! started without `MOTO_ECS_SERVICE_RUNNING`, reports no task running and
//! the rollout in progress forever), the test pauses moto
//! (SIGSTOP: every AWS call times out), and the job page, the event stream
//! and the job list say what fails, since when and until when the step
//! keeps trying; the test resumes moto, the fault clears, and at the
//! rollout's deadline the deploy fails as a rollout and is rolled back, the
//! service pointed at its previous revision again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gantry_core::aws::testing::PrivateMoto;
use gantry_core::aws::{ecs_change, AwsCallCounter, AwsClients};

use crate::common::process::{free_port, wait_ready, Client, GantryProcess};

const CLUSTER: &str = "backend-booking-dev";
const SERVICE: &str = "backend-booking-api";
/// The rollout's deadline in this test.
const ROLLOUT_TIMEOUT_SECS: u64 = 25;

fn write_config(dir: &Path, port: u16, moto: &PrivateMoto) -> PathBuf {
    crate::common::process::write_config(
        dir,
        port,
        moto,
        "connect_timeout_ms = 500\noperation_timeout_ms = 1500\nmax_attempts = 1",
        &format!("lease_secs = 10\nrollout_timeout_secs = {ROLLOUT_TIMEOUT_SECS}"),
    )
}

/// Reads `/jobs/<id>/events` until `needle` shows (or 30 s pass).
async fn stream_until(client: &Client, id: i64, needle: &str) -> String {
    let mut reply = client
        .http
        .get(format!("{}/jobs/{id}/events", client.base))
        .header("accept", "text/event-stream")
        .header("cookie", client.cookie.clone().unwrap_or_default())
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("events");
    assert_eq!(reply.status(), 200);
    let mut seen = String::new();
    while !seen.contains(needle) {
        match tokio::time::timeout(Duration::from_secs(30), reply.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("the stream ended or stalled before {needle:?} ({other:?}): {seen}"),
        }
    }
    seen
}

#[tokio::test]
async fn a_rollout_whose_aws_stops_answering_says_so_and_a_late_one_rolls_back() {
    // moto reports no running task for every service: no rollout completes.
    let moto = PrivateMoto::start();
    let clients = AwsClients::new(moto.settings(), AwsCallCounter::new());
    let ecs = clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await
        .ecs;
    let before = ecs_change::service_state(&ecs, CLUSTER, SERVICE)
        .await
        .expect("read")
        .expect("the demo service")
        .task_definition;
    let dir = std::env::temp_dir().join(format!("gantry-faults-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let port = free_port();
    let config = write_config(&dir, port, &moto);
    let mut server = GantryProcess(
        Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(["--config", config.to_str().expect("path"), "serve"])
            .env("GANTRY_LOG__FILTER", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.join("server.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .expect("start gantry"),
    );
    wait_ready(port, &mut server).await;
    let mut client = Client::new(port);
    client.sign_in().await;
    let id = client
        .deploy("dev", SERVICE, "registry.example/booking:never-converges")
        .await;
    client
        .until(id, "the rollout in progress", |job| {
            job["log"].as_array().is_some_and(|lines| {
                lines.iter().any(|l| {
                    l["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("rollout in progress: 0 of"))
                })
            })
        })
        .await;

    // AWS stops answering.
    moto.pause();
    let paused = Instant::now();
    let faulty = client
        .until(id, "a fault on the job", |job| {
            job["job"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("ECS cannot be read since"))
        })
        .await;
    println!(
        "fault shown {} ms after AWS stopped answering",
        paused.elapsed().as_millis()
    );
    assert_eq!(faulty["job"]["state"], "running");
    let reason = faulty["job"]["reason"].as_str().expect("reason").to_owned();
    assert!(reason.contains("failed read(s)"), "{reason}");
    assert!(reason.contains("the rollout is watched until"), "{reason}");
    let page = client
        .http
        .get(format!("{}/jobs/{id}", client.base))
        .header("cookie", client.cookie.clone().unwrap_or_default())
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("Not making progress: ECS cannot be read since"),
        "{page}"
    );
    let list = client
        .http
        .get(format!("{}/jobs", client.base))
        .header("cookie", client.cookie.clone().unwrap_or_default())
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(list.contains("data-testid=\"job-fault\""), "{list}");
    // The stream says it in the job's state (and in the log line).
    let events = stream_until(&client, id, "\"reason\":\"ECS cannot be read since").await;
    assert!(events.contains("event: state"), "{events}");
    assert!(events.contains("\"state\":\"running\""), "{events}");

    // AWS answers again: the fault clears, the rollout still does not
    // converge, and at its deadline the deploy rolls back.
    moto.resume();
    client
        .until(id, "the fault to clear", |job| {
            job["job"]["state"] != "running" || job["job"]["reason"].is_null()
        })
        .await;
    let ended = client
        .until(id, "the end of the job", |job| {
            !matches!(job["job"]["state"].as_str(), Some("running" | "queued"))
        })
        .await;
    assert_eq!(ended["job"]["state"], "rolled_back", "{ended:#}");
    let reason = ended["job"]["reason"].as_str().expect("reason");
    assert!(
        reason.contains(&format!(
            "the rollout did not converge within {ROLLOUT_TIMEOUT_SECS} s (0 of"
        )),
        "{reason}"
    );
    let log: Vec<&str> = ended["log"]
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(
        log.contains(&"recovered: the step makes progress again"),
        "{log:#?}"
    );
    let now = ecs_change::service_state(&ecs, CLUSTER, SERVICE)
        .await
        .expect("read")
        .expect("service")
        .task_definition;
    assert_eq!(now, before, "the service runs its previous revision again");
}
