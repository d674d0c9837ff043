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

/// Runs `scripts/demo_aws.py --endpoint <moto> ARGS…` (e.g. `--scenario
/// degraded`) and panics with its output when it fails.
pub fn run_demo_script(args: &[&str]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/demo_aws.py"))
        .arg("--endpoint")
        .arg(moto_endpoint().as_str().trim_end_matches('/'))
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
