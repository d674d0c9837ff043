//! For tests against the AWS stand-in: moto on loopback, seeded with the demo
//! account by `scripts/demo_aws.py` (`scripts/test.sh` starts it and sets
//! `MOTO_TEST_ENDPOINT`).

use std::path::PathBuf;
use std::process::Command;

use super::{AwsSettings, StaticCredentials};
use crate::environments::model::{Environment, EnvironmentInput, ServiceInput};

/// The variable naming the seeded moto server.
pub const ENDPOINT_VARIABLE: &str = "MOTO_TEST_ENDPOINT";

/// moto's URL from `MOTO_TEST_ENDPOINT`.
///
/// Panics with instructions when it is not set: the AWS tests must run against
/// the stand-in, never be skipped silently.
pub fn moto_endpoint() -> url::Url {
    let raw = std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VARIABLE} is not set: run the tests with scripts/test.sh, which starts moto \
             and seeds it, or start one yourself: .venv/bin/moto_server -H 127.0.0.1 -p 5199 & \
             .venv/bin/python scripts/demo_aws.py --endpoint http://127.0.0.1:5199 --reset; \
             export {ENDPOINT_VARIABLE}=http://127.0.0.1:5199"
        )
    });
    url::Url::parse(&raw)
        .unwrap_or_else(|e| panic!("{ENDPOINT_VARIABLE}={raw:?} is not a URL: {e}"))
}

/// Settings that send every request to moto with its static test keys.
pub fn moto_settings() -> AwsSettings {
    AwsSettings {
        endpoint_url: Some(moto_endpoint()),
        static_credentials: Some(StaticCredentials::moto()),
        ..AwsSettings::default()
    }
}

/// The demo account's `dev` or `prod` environment, as `config/dev.toml`
/// writes it (service `backend-booking-api`, container `django`, database
/// `backend-booking-<name>`).
pub fn demo_environment_input(name: &str) -> EnvironmentInput {
    let prod = name == "prod";
    EnvironmentInput {
        name: name.to_owned(),
        production: prod,
        region: "us-east-1".to_owned(),
        account_id: "123456789012".to_owned(),
        cluster: format!("backend-booking-{name}"),
        database: Some(format!("backend-booking-{name}")),
        services: vec![ServiceInput {
            name: "backend-booking-api".to_owned(),
            container: "django".to_owned(),
            health_url: None,
        }],
        ssm_prefix: format!("/backend-booking/{name}/"),
        cost_tag_key: Some("environment".to_owned()),
        cost_tag_value: Some(name.to_owned()),
        approvals_required: prod.then_some(1),
        ..EnvironmentInput::default()
    }
}

/// [`demo_environment_input`], validated.
pub fn demo_environment(name: &str) -> Environment {
    demo_environment_input(name)
        .validate()
        .expect("the demo environment is valid")
}

/// Runs `scripts/demo_aws.py --endpoint <moto> ARGS…` against the shared moto
/// (`MOTO_TEST_ENDPOINT`) and panics with its output when it fails.
pub fn run_demo_script(args: &[&str]) {
    run_demo_script_at(&moto_endpoint(), args);
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `scripts/demo_aws.py --endpoint ENDPOINT ARGS…`.
pub fn run_demo_script_at(endpoint: &url::Url, args: &[&str]) {
    let root = repo_root();
    let output = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/demo_aws.py"))
        .arg("--endpoint")
        .arg(endpoint.as_str().trim_end_matches('/'))
        .args(args)
        .output()
        .expect("run scripts/demo_aws.py with .venv/bin/python (scripts/setup.sh creates .venv)");
    assert!(
        output.status.success(),
        "scripts/demo_aws.py {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A moto server of one test's own, on a free loopback port, seeded with the
/// demo account; stopped when dropped. For tests that change moto's state
/// (the degraded scenario), so the tests reading the shared moto in parallel
/// never see it.
pub struct PrivateMoto {
    child: std::process::Child,
    endpoint: url::Url,
}

impl PrivateMoto {
    /// Starts and seeds it (about 2 s). Panics when moto cannot start.
    pub fn start() -> Self {
        Self::start_with_running(None)
    }

    /// [`Self::start`], with moto reporting `running` tasks for every ECS
    /// service (`MOTO_ECS_SERVICE_RUNNING`: a service whose desired count is
    /// `running` has a COMPLETED rollout), or moto's default (0) for `None`.
    pub fn start_with_running(running: Option<u32>) -> Self {
        let bin = repo_root().join(".venv/bin/moto_server");
        let mut last_error = String::new();
        // A port found free can be taken by another test before moto binds
        // it: then moto exits, and another port is tried.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind(("127.0.0.1", 0))
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free loopback port");
            let mut command = Command::new(&bin);
            command
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env_remove("MOTO_ECS_SERVICE_RUNNING")
                .env_remove("MOTO_ECS_SERVICE_FAILED_TASKS");
            if let Some(running) = running {
                command.env("MOTO_ECS_SERVICE_RUNNING", running.to_string());
            }
            let mut child = command
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start {} (scripts/setup.sh): {e}", bin.display()));
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            let listening = loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!("moto on port {port} exited: {status}");
                    break false;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break true;
                }
                if std::time::Instant::now() > deadline {
                    last_error = format!("moto on port {port} did not listen within 30 s");
                    let _ = child.kill();
                    let _ = child.wait();
                    break false;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            };
            if listening {
                let endpoint =
                    url::Url::parse(&format!("http://127.0.0.1:{port}")).expect("a loopback URL");
                let moto = Self { child, endpoint };
                run_demo_script_at(&moto.endpoint, &[]);
                return moto;
            }
        }
        panic!("no private moto: {last_error}");
    }

    pub fn endpoint(&self) -> &url::Url {
        &self.endpoint
    }

    /// Settings that send every request to this moto.
    pub fn settings(&self) -> AwsSettings {
        AwsSettings {
            endpoint_url: Some(self.endpoint.clone()),
            static_credentials: Some(StaticCredentials::moto()),
            ..AwsSettings::default()
        }
    }

    /// Pauses the moto process (SIGSTOP): it stops answering, and every
    /// request to it times out, as an unreachable AWS would.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused moto answer again (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let done = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        assert!(done, "kill {signal} moto");
    }

    /// Runs the demo script against this moto (e.g. `--scenario degraded`).
    pub fn run_demo_script(&self, args: &[&str]) {
        run_demo_script_at(&self.endpoint, args);
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
