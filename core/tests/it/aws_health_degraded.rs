//! The demo's degraded scenario against moto: `scripts/demo_aws.py --scenario
//! degraded` puts `bb-prod-api-cpu-high` in ALARM.
//!
//! Changes moto's state, so it runs against a moto of its own
//! ([`PrivateMoto`]): the tests reading the shared one in parallel never see
//! the alarm.

use gantry_core::aws::testing::{demo_environment, PrivateMoto};
use gantry_core::aws::AwsHealthSource;
use gantry_core::aws::{AwsCallCounter, AwsClients};
use gantry_core::health::model::{AlarmState, HealthStatus};
use gantry_core::health::source::HealthSource;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_degraded_scenario_degrades_prod_and_names_the_alarm() {
    let moto = PrivateMoto::start();
    let source = AwsHealthSource::new(AwsClients::new(moto.settings(), AwsCallCounter::new()))
        .expect("health source");
    moto.run_demo_script(&["--scenario", "degraded"]);

    let prod = source
        .observe(
            &demo_environment("prod"),
            None,
            gantry_core::clock::testing::start(),
        )
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
        .observe(
            &demo_environment("dev"),
            None,
            gantry_core::clock::testing::start(),
        )
        .await;
    assert_eq!(dev.overall.status, HealthStatus::Progressing);

    // Back to normal, the alarm is gone.
    moto.run_demo_script(&[]);
    let restored = source
        .observe(
            &demo_environment("prod"),
            None,
            gantry_core::clock::testing::start(),
        )
        .await;
    assert_eq!(restored.overall.status, HealthStatus::Progressing);
}
