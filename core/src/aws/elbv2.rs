//! ELBv2 reads: a target group's targets (DescribeTargetHealth) and load
//! balancers (DescribeTargetGroups).

use aws_sdk_elasticloadbalancingv2::types::{TargetHealthDescription, TargetHealthStateEnum};

use super::AwsError;
use crate::health::model::{TargetHealthObservation, TargetIssue};

/// The load balancer ARNs of target group `arn`. A target group's load
/// balancers change only when the infrastructure does, so callers cache this.
pub async fn load_balancers_of(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    arn: &str,
) -> Result<Vec<String>, AwsError> {
    let output = client
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await?;
    let group = output
        .target_groups()
        .iter()
        .find(|g| g.target_group_arn() == Some(arn))
        .ok_or_else(|| AwsError::invalid(format!("DescribeTargetGroups did not return {arn}")))?;
    Ok(group.load_balancer_arns().to_vec())
}

/// How many targets of target group `arn` are in each state.
pub async fn target_health(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    arn: &str,
) -> Result<TargetHealthObservation, AwsError> {
    let output = client
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await?;
    Ok(observe(output.target_health_descriptions()))
}

fn observe(descriptions: &[TargetHealthDescription]) -> TargetHealthObservation {
    let mut obs = TargetHealthObservation::default();
    for d in descriptions {
        let health = d.target_health();
        let state = health.and_then(|h| h.state());
        let issue = || {
            let target = d.target();
            let id = target.and_then(|t| t.id()).unwrap_or("?");
            TargetIssue {
                target: match target.and_then(|t| t.port()) {
                    Some(port) => format!("{id}:{port}"),
                    None => id.to_owned(),
                },
                reason: health
                    .and_then(|h| h.reason())
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                description: health.and_then(|h| h.description()).map(str::to_owned),
            }
        };
        match state {
            Some(TargetHealthStateEnum::Healthy) => obs.healthy += 1,
            Some(TargetHealthStateEnum::Initial) => obs.initial += 1,
            // Unhealthy and already leaving: it is draining either way.
            Some(TargetHealthStateEnum::Draining | TargetHealthStateEnum::UnhealthyDraining) => {
                obs.draining += 1
            }
            Some(TargetHealthStateEnum::Unused) => {
                obs.unused += 1;
                obs.issues.push(issue());
            }
            Some(TargetHealthStateEnum::Unavailable) => {
                obs.unavailable += 1;
                obs.issues.push(issue());
            }
            // Unhealthy, and any state ELB adds later: not known to be healthy.
            _ => {
                obs.unhealthy += 1;
                obs.issues.push(issue());
            }
        }
    }
    obs
}

/// The `LoadBalancer` dimension CloudWatch uses for a load balancer ARN:
/// `app/bb-prod-alb/50dc6c495c0c9188`.
pub fn load_balancer_dimension(arn: &str) -> Option<&str> {
    arn.split_once(":loadbalancer/").map(|(_, tail)| tail)
}

/// The `TargetGroup` dimension for a target group ARN:
/// `targetgroup/bb-prod-api/943f017f100becff`.
pub fn target_group_dimension(arn: &str) -> Option<&str> {
    arn.find(":targetgroup/").map(|i| &arn[i + 1..])
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::types::{
        TargetDescription, TargetHealth, TargetHealthReasonEnum,
    };

    use super::*;

    #[test]
    fn dimensions_from_arns() {
        assert_eq!(
            load_balancer_dimension(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/bb-prod-alb/50dc6c495c0c9188"
            ),
            Some("app/bb-prod-alb/50dc6c495c0c9188")
        );
        assert_eq!(
            target_group_dimension(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bb-prod-api/943f017f100becff"
            ),
            Some("targetgroup/bb-prod-api/943f017f100becff")
        );
        assert_eq!(load_balancer_dimension("nonsense"), None);
    }

    #[test]
    fn counts_states_and_keeps_issues() {
        let target =
            |ip: &str, state: TargetHealthStateEnum, reason: Option<TargetHealthReasonEnum>| {
                TargetHealthDescription::builder()
                    .target(TargetDescription::builder().id(ip).port(8000).build())
                    .target_health(
                        TargetHealth::builder()
                            .state(state)
                            .set_reason(reason)
                            .description("Health checks failed with these codes: [502]")
                            .build(),
                    )
                    .build()
            };
        let obs = observe(&[
            target("10.0.0.1", TargetHealthStateEnum::Healthy, None),
            target(
                "10.0.0.2",
                TargetHealthStateEnum::Unhealthy,
                Some(TargetHealthReasonEnum::ResponseCodeMismatch),
            ),
            target("10.0.0.3", TargetHealthStateEnum::Draining, None),
            target("10.0.0.4", TargetHealthStateEnum::Initial, None),
            target(
                "10.0.0.5",
                TargetHealthStateEnum::Unused,
                Some(TargetHealthReasonEnum::NotRegistered),
            ),
            target(
                "10.0.0.6",
                TargetHealthStateEnum::Unavailable,
                Some(TargetHealthReasonEnum::HealthCheckDisabled),
            ),
        ]);
        assert_eq!(
            (
                obs.healthy,
                obs.unhealthy,
                obs.draining,
                obs.initial,
                obs.unused,
                obs.unavailable
            ),
            (1, 1, 1, 1, 1, 1)
        );
        assert_eq!(obs.issues.len(), 3);
        assert_eq!(obs.issues[0].target, "10.0.0.2:8000");
        assert_eq!(obs.issues[0].reason, "Target.ResponseCodeMismatch");
    }
}
