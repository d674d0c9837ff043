//! CloudWatch reads: every metric alarm of the account and region
//! (DescribeAlarms, all pages), then the ones that watch a service.

use aws_sdk_cloudwatch::types::MetricAlarm;

use super::AwsError;
use crate::health::model::{AlarmObservation, AlarmState};

/// A metric alarm and the dimensions it watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    pub observation: AlarmObservation,
    /// (name, value) of the alarm's metric and of every metric a metric-math
    /// alarm combines.
    pub dimensions: Vec<(String, String)>,
}

/// Every metric alarm, following `NextToken` to the last page (100 alarms a
/// page): one call for most accounts.
pub async fn describe_alarms(client: &aws_sdk_cloudwatch::Client) -> Result<Vec<Alarm>, AwsError> {
    let mut pages = client
        .describe_alarms()
        .max_records(100)
        .into_paginator()
        .send();
    let mut alarms = Vec::new();
    while let Some(page) = pages.next().await {
        for alarm in page?.metric_alarms() {
            alarms.push(read_alarm(alarm)?);
        }
    }
    Ok(alarms)
}

fn read_alarm(alarm: &MetricAlarm) -> Result<Alarm, AwsError> {
    let name = alarm.alarm_name().unwrap_or_default().to_owned();
    let raw_state = alarm.state_value().map(|s| s.as_str()).unwrap_or_default();
    let state = AlarmState::parse(raw_state)
        .ok_or_else(|| AwsError::invalid(format!("alarm {name}: unknown state {raw_state:?}")))?;
    let mut dimensions: Vec<(String, String)> = alarm
        .dimensions()
        .iter()
        .chain(
            alarm
                .metrics()
                .iter()
                .filter_map(|q| q.metric_stat()?.metric())
                .flat_map(|m| m.dimensions()),
        )
        .filter_map(|d| Some((d.name()?.to_owned(), d.value()?.to_owned())))
        .collect();
    dimensions.dedup();
    Ok(Alarm {
        observation: AlarmObservation {
            name,
            state,
            reason: alarm.state_reason().unwrap_or_default().to_owned(),
        },
        dimensions,
    })
}

/// What identifies a service in alarm dimensions.
#[derive(Debug, Clone, Default)]
pub struct AlarmScope<'a> {
    pub cluster: &'a str,
    pub service: &'a str,
    /// `LoadBalancer` dimension values of the service's load balancers
    /// (`app/bb-prod-alb/…`).
    pub load_balancers: Vec<&'a str>,
    /// `TargetGroup` dimension values of its target groups (`targetgroup/…`).
    pub target_groups: Vec<&'a str>,
}

impl AlarmScope<'_> {
    /// Whether `alarm` watches the service: its metric names the ECS service
    /// (`ClusterName` and `ServiceName` both) or one of the service's load
    /// balancers or target groups.
    pub fn watches(&self, alarm: &Alarm) -> bool {
        let value = |key| dimension_values(&alarm.dimensions, key);
        let ecs = value("ClusterName").any(|v| v == self.cluster)
            && value("ServiceName").any(|v| v == self.service);
        ecs || value("LoadBalancer").any(|v| self.load_balancers.contains(&v))
            || value("TargetGroup").any(|v| self.target_groups.contains(&v))
    }

    /// The alarms that watch the service, by name.
    pub fn select(&self, alarms: &[Alarm]) -> Vec<AlarmObservation> {
        let mut picked: Vec<AlarmObservation> = alarms
            .iter()
            .filter(|a| self.watches(a))
            .map(|a| a.observation.clone())
            .collect();
        picked.sort_by(|a, b| a.name.cmp(&b.name));
        picked
    }
}

/// The values of dimension `key` (an alarm may repeat one across metrics).
fn dimension_values<'a>(
    dimensions: &'a [(String, String)],
    key: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    dimensions
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(name: &str, dims: &[(&str, &str)]) -> Alarm {
        Alarm {
            observation: AlarmObservation {
                name: name.to_owned(),
                state: AlarmState::Ok,
                reason: String::new(),
            },
            dimensions: dims
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn picks_the_alarms_of_the_service() {
        let alarms = [
            alarm("cpu", &[("ClusterName", "bb-prod"), ("ServiceName", "api")]),
            alarm(
                "cpu-dev",
                &[("ClusterName", "bb-dev"), ("ServiceName", "api")],
            ),
            alarm("cluster-only", &[("ClusterName", "bb-prod")]),
            alarm("5xx", &[("LoadBalancer", "app/bb-prod-alb/1")]),
            alarm("5xx-dev", &[("LoadBalancer", "app/bb-dev-alb/2")]),
            alarm(
                "tg",
                &[
                    ("TargetGroup", "targetgroup/bb-prod-api/3"),
                    ("LoadBalancer", "app/x/9"),
                ],
            ),
        ];
        let scope = AlarmScope {
            cluster: "bb-prod",
            service: "api",
            load_balancers: vec!["app/bb-prod-alb/1"],
            target_groups: vec!["targetgroup/bb-prod-api/3"],
        };
        let names: Vec<String> = scope.select(&alarms).into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["5xx", "cpu", "tg"]);
    }
}
