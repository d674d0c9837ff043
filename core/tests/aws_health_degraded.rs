//! The demo's degraded scenario against moto: `scripts/demo_aws.py --scenario
//! degraded` puts `bb-prod-api-cpu-high` in ALARM.
//!
//! Changes moto's shared state, so it is this binary's only test (cargo runs
//! test binaries one after another) and puts the alarm back to OK afterwards,
//! even when an assertion fails.

use chrono::Utc;
use gantry_core::aws::testing::{demo_environment, moto_settings, run_demo_script};
use gantry_core::aws::{AwsCallCounter, AwsClients};
use gantry_core::health::model::{AlarmState, HealthStatus};
use gantry_core::health::source::{AwsHealthSource, HealthSource};

/// Runs the demo script's normal scenario when dropped.
struct RestoreNormal;

impl Drop for RestoreNormal {
    fn drop(&mut self) {
        run_demo_script(&[]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_degraded_scenario_degrades_prod_and_names_the_alarm() {
    let source = AwsHealthSource::new(AwsClients::new(moto_settings(), AwsCallCounter::new()))
        .expect("health source");
    let restore = RestoreNormal;
    run_demo_script(&["--scenario", "degraded"]);

    let prod = source
        .observe(&demo_environment("prod"), None, Utc::now())
        .await;
    assert_eq!(prod.overall.status, HealthStatus::Degraded);
    assert!(
        prod.overall.reason.starts_with(
            "backend-booking-api: alarm bb-prod-api-cpu-high in ALARM: Demo scenario 'degraded'"
        ),
        "{}",
        prod.overall.reason
    );
    let alarms = prod.services[0]
        .alarms
        .as_ref()
        .and_then(|a| a.data.as_ref())
        .expect("alarms read");
    let firing: Vec<&str> = alarms
        .iter()
        .filter(|a| a.state == AlarmState::Alarm)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(firing, ["bb-prod-api-cpu-high"]);

    // dev is untouched.
    let dev = source
        .observe(&demo_environment("dev"), None, Utc::now())
        .await;
    assert_eq!(dev.overall.status, HealthStatus::Progressing);

    drop(restore);
    let restored = source
        .observe(&demo_environment("prod"), None, Utc::now())
        .await;
    assert_eq!(restored.overall.status, HealthStatus::Progressing);
}
