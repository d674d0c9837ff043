//! The real `gantry` binary killed with SIGKILL at the worst moment of each
//! step of a deploy — the step's AWS effect applied, its completion not yet
//! recorded — then started again: the job finishes, and every effect exists
//! exactly once (task-definition revisions counted in moto, the revision the
//! service runs, each step's attempts).
//!
//! The moment is chosen with the binary's test hook (`testing` feature, never
//! in a release build): `TESTING_GANTRY_PAUSE_AFTER_STEP` (not a `GANTRY_*` name: those are config) makes the
//! worker log a marker and pause after applying a step; the test kills the
//! process when the marker appears. A moto of the test's own reports the
//! service's task running, so rollouts complete.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gantry_core::aws::testing::PrivateMoto;
use gantry_core::aws::{ecs_change, AwsCallCounter, AwsClients};
use gantry_core::jobs::testing::{pause_marker, PAUSE_AFTER_STEP_VAR};
use serde_json::Value;

use crate::common::process::{free_port, wait_ready, Client, GantryProcess};

const CLUSTER: &str = "backend-booking-dev";
const SERVICE: &str = "backend-booking-api";

fn write_config(dir: &Path, port: u16, moto: &PrivateMoto) -> PathBuf {
    crate::common::process::write_config(dir, port, moto, "", "lease_secs = 5")
}

/// Starts the binary; with `pause_after`, its worker pauses after applying
/// that step (0-based) of a job.
fn start(config: &Path, dir: &Path, pause_after: Option<usize>) -> GantryProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gantry"));
    command
        .args(["--config", config.to_str().expect("path"), "serve"])
        .env("GANTRY_LOG__FILTER", "warn")
        .env_remove(PAUSE_AFTER_STEP_VAR)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("server.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        );
    if let Some(step) = pause_after {
        command.env(PAUSE_AFTER_STEP_VAR, (step + 1).to_string());
    }
    GantryProcess(command.spawn().expect("start gantry"))
}

#[tokio::test]
async fn a_deploy_killed_at_each_step_finishes_with_every_effect_applied_once() {
    let moto = PrivateMoto::start_with_running(Some(1));
    let clients = AwsClients::new(moto.settings(), AwsCallCounter::new());
    let ecs = clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await
        .ecs;
    let family = {
        let running = ecs_change::service_state(&ecs, CLUSTER, SERVICE)
            .await
            .unwrap()
            .expect("the demo service");
        ecs_change::family_of(&running.task_definition).to_owned()
    };
    let dir = std::env::temp_dir().join(format!("gantry-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = write_config(&dir, port, &moto);
    let mut client = Client::new(port);

    // Steps: register the revision, point the service, wait for the rollout.
    for step in 0..3 {
        let revisions_before = ecs_change::revision_count(&ecs, &family).await.unwrap();
        let mut server = start(&config, &dir, Some(step));
        wait_ready(port, &mut server).await;
        client.sign_in().await;
        let image = format!("registry.example/booking:crash-{step}");
        let id = client.deploy("dev", SERVICE, &image).await;
        let marker = pause_marker(step);
        client
            .until(id, "pause marker", |job| {
                job["log"]
                    .as_array()
                    .is_some_and(|lines| lines.iter().any(|l| l["message"] == marker.as_str()))
            })
            .await;
        if step == 0 {
            // While it runs, the roadmap matrix shows the job on dev's column.
            let (status, body) = client.call("roadmap/matrix", &[]).await;
            assert_eq!(status, 200, "{body}");
            let matrix: Value = serde_json::from_str(&body).expect("matrix");
            let active = &matrix["active_jobs"][0];
            assert_eq!(
                (
                    active["id"].as_i64(),
                    active["environment"].as_str(),
                    active["state"].as_str()
                ),
                (Some(id), Some("dev"), Some("running")),
                "the matrix shows the running deploy: {matrix:#}"
            );
        }
        // SIGKILL: no shutdown, no cleanup, the step applied and unrecorded.
        server.0.kill().expect("kill -9");
        server.0.wait().expect("reaped");
        drop(server);

        let mut server = start(&config, &dir, None);
        wait_ready(port, &mut server).await;
        let job = client
            .until(id, "end", |job| {
                !matches!(job["job"]["state"].as_str(), Some("queued" | "running"))
            })
            .await;
        assert_eq!(job["job"]["state"], "succeeded", "step {step}: {job:#}");
        let attempts: Vec<u64> = job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["attempts"].as_u64().unwrap())
            .collect();
        let mut expected = vec![1, 1, 1];
        expected[step] = 2;
        assert_eq!(attempts, expected, "only the killed step ran again");
        assert_eq!(
            ecs_change::revision_count(&ecs, &family).await.unwrap(),
            revisions_before + 1,
            "killed in step {}: one revision registered",
            step + 1
        );
        let running = ecs_change::service_state(&ecs, CLUSTER, SERVICE)
            .await
            .unwrap()
            .unwrap()
            .task_definition;
        assert_eq!(
            ecs_change::container_image(&ecs, &running, "django")
                .await
                .unwrap()
                .as_deref(),
            Some(image.as_str())
        );
        drop(server);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The test's provisioning template: each preview gets a cluster of its
/// own, so every provision has all five steps.
const TEMPLATE: &str = r#"
[provision]
service = "backend-booking-api"
family = "backend-booking-{env}"
cpu = "512"
memory = "1024"
desired_count = 1
log_group = "/ecs/backend-booking"
subnets_parameter = "/network/backend-booking/private-subnets"
security_groups_parameter = "/network/backend-booking/ecs-security-groups"
app = { name = "django", image = "registry.example/booking:1.0.0", port = 8000, cpu = 384, memory = 768 }
pgbouncer = { name = "pgbouncer", image = "registry.example/pgbouncer:1.22", port = 6432, cpu = 128, memory = 256 }
parameters = [
  { name = "DJANGO_DEBUG", value = "false" },
  { name = "DJANGO_SECRET_KEY", generate = true },
  { name = "DATABASE_URL", copy_from = "/backend-booking/dev/DATABASE_URL", containers = ["django", "pgbouncer"] },
]
[provision.preview]
region = "us-east-1"
account_id = "123456789012"
cluster = "{env}"
ssm_prefix = "/backend-booking/{env}/"
"#;

impl Client {
    async fn provision_preview(&self, name: &str) -> i64 {
        let form = vec![
            ("environment", name.to_owned()),
            ("kind", "provision".to_owned()),
            ("service", String::new()),
            ("desired", String::new()),
            ("image", String::new()),
            ("revision", String::new()),
            ("ttl_hours", "4".to_owned()),
        ];
        let (plan, id) = self.plan_and_confirm(form).await;
        assert_eq!(plan["steps"].as_array().map(Vec::len), Some(5), "{plan:#}");
        id
    }
}

#[tokio::test]
async fn a_provision_killed_at_each_step_finishes_with_every_effect_applied_once() {
    let moto = PrivateMoto::start_with_running(Some(1));
    let clients = AwsClients::new(moto.settings(), AwsCallCounter::new());
    let aws = clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await;
    let dir = std::env::temp_dir().join(format!("gantry-crash-provision-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = write_config(&dir, port, &moto);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(TEMPLATE);
    std::fs::write(&config, text).unwrap();
    let mut client = Client::new(port);

    // Steps: cluster, parameters, task definition, service, rollout wait.
    for step in 0..5 {
        let name = format!("preview-crash-{step}");
        let mut server = start(&config, &dir, Some(step));
        wait_ready(port, &mut server).await;
        client.sign_in().await;
        let id = client.provision_preview(&name).await;
        let marker = pause_marker(step);
        client
            .until(id, "pause marker", |job| {
                job["log"]
                    .as_array()
                    .is_some_and(|lines| lines.iter().any(|l| l["message"] == marker.as_str()))
            })
            .await;
        server.0.kill().expect("kill -9");
        server.0.wait().expect("reaped");
        drop(server);

        let mut server = start(&config, &dir, None);
        wait_ready(port, &mut server).await;
        let job = client
            .until(id, "end", |job| {
                !matches!(job["job"]["state"].as_str(), Some("queued" | "running"))
            })
            .await;
        assert_eq!(job["job"]["state"], "succeeded", "step {step}: {job:#}");
        let attempts: Vec<u64> = job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["attempts"].as_u64().unwrap())
            .collect();
        let mut expected = vec![1, 1, 1, 1, 1];
        expected[step] = 2;
        assert_eq!(attempts, expected, "only the killed step ran again");

        // Every effect exactly once: one cluster, one version of each
        // parameter, one revision, one service.
        let clusters = aws
            .ecs
            .describe_clusters()
            .clusters(&name)
            .send()
            .await
            .unwrap();
        assert_eq!(clusters.clusters().len(), 1, "step {step}");
        for key in ["DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL"] {
            let parameter = format!("/backend-booking/{name}/{key}");
            assert_eq!(
                gantry_core::aws::ssm::version_count(&aws.ssm, &parameter)
                    .await
                    .unwrap(),
                1,
                "killed in step {}: {parameter} put once",
                step + 1
            );
        }
        assert_eq!(
            ecs_change::revision_count(&aws.ecs, &format!("backend-booking-{name}"))
                .await
                .unwrap(),
            1,
            "killed in step {}: one revision registered",
            step + 1
        );
        let services = aws.ecs.list_services().cluster(&name).send().await.unwrap();
        assert_eq!(
            services.service_arns().len(),
            1,
            "killed in step {}: one service",
            step + 1
        );
        drop(server);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
