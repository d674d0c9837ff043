//! Counting the AWS requests Gantry sends.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Counts AWS requests per (service, operation). Cheap to clone; every clone
/// counts into the same totals.
///
/// What is counted: each **attempt** handed to the HTTP client, after signing
/// (the SDK's `read_before_transmit` hook), so a retried call counts once per
/// try, and a call that failed before sending (no credentials, a request the
/// SDK refused to build) not at all. Requests the SDK sends on its own to get
/// credentials (STS AssumeRole, about once an hour per role; the ECS/IMDS
/// credential endpoints) go through clients Gantry does not build and are not
/// counted.
#[derive(Debug, Clone, Default)]
pub struct AwsCallCounter {
    counts: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

/// The Prometheus metric [`AwsCallCounter::render_prometheus`] writes.
pub const METRIC_NAME: &str = "gantry_aws_requests_total";

impl AwsCallCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one request of `operation` ("DescribeServices") to `service` ("ecs").
    pub fn record(&self, service: &str, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts
            .entry((service.to_owned(), operation.to_owned()))
            .or_default() += 1;
    }

    /// Every request counted so far.
    pub fn total(&self) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }

    /// ((service, operation), count), sorted by service then operation.
    pub fn by_operation(&self) -> Vec<((String, String), u64)> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// The counts in the Prometheus text format, for `/metrics`:
    ///
    /// ```text
    /// # HELP gantry_aws_requests_total AWS API requests sent …
    /// # TYPE gantry_aws_requests_total counter
    /// gantry_aws_requests_total{service="ecs",operation="DescribeServices"} 12
    /// ```
    pub fn render_prometheus(&self) -> String {
        let mut out = format!(
            "# HELP {METRIC_NAME} AWS API requests sent by Gantry (each attempt, retries included), by service and operation.\n\
             # TYPE {METRIC_NAME} counter\n"
        );
        for ((service, operation), n) in self.by_operation() {
            let _ = writeln!(
                out,
                "{METRIC_NAME}{{service=\"{}\",operation=\"{}\"}} {n}",
                label_value(&service),
                label_value(&operation)
            );
        }
        out
    }
}

/// A Prometheus label value: backslash, double quote and newline escaped.
fn label_value(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The SDK interceptor that feeds an [`AwsCallCounter`]; one per client, with
/// the short service name ("ecs", "elbv2") Gantry uses in the metric.
#[derive(Debug, Clone)]
pub(crate) struct CountingInterceptor {
    counter: AwsCallCounter,
    service: &'static str,
}

impl CountingInterceptor {
    pub(crate) fn new(counter: AwsCallCounter, service: &'static str) -> Self {
        Self { counter, service }
    }
}

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "GantryAwsCallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(Metadata::name)
            .unwrap_or("unknown");
        self.counter.record(self.service, operation);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_renders() {
        let counter = AwsCallCounter::new();
        let clone = counter.clone();
        counter.record("ecs", "DescribeServices");
        clone.record("ecs", "DescribeServices");
        counter.record("cloudwatch", "DescribeAlarms");
        counter.record("odd", "a\"b\\c\nd");
        assert_eq!(counter.total(), 4);
        assert_eq!(
            counter.by_operation(),
            vec![
                (("cloudwatch".into(), "DescribeAlarms".into()), 1),
                (("ecs".into(), "DescribeServices".into()), 2),
                (("odd".into(), "a\"b\\c\nd".into()), 1),
            ]
        );
        let text = counter.render_prometheus();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("# HELP gantry_aws_requests_total "));
        assert_eq!(lines[1], "# TYPE gantry_aws_requests_total counter");
        assert_eq!(
            &lines[2..],
            [
                r#"gantry_aws_requests_total{service="cloudwatch",operation="DescribeAlarms"} 1"#,
                r#"gantry_aws_requests_total{service="ecs",operation="DescribeServices"} 2"#,
                r#"gantry_aws_requests_total{service="odd",operation="a\"b\\c\nd"} 1"#,
            ]
        );
        assert_eq!(AwsCallCounter::new().render_prometheus().lines().count(), 2);
    }
}
