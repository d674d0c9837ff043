use chrono::{DateTime, Utc};

use super::*;
use crate::health::model::{EcsEvent, Source, TargetIssue, MAX_REASON_CHARS};
use HealthStatus::{Degraded, Healthy, Missing, Progressing, Unknown};

/// One row of a table: what the rules said, and what they should say
/// (`reason` is a substring unless it starts with `=`, then exact).
struct Case {
    name: &'static str,
    got: Assessment,
    status: HealthStatus,
    reason: &'static str,
}

fn case(name: &'static str, got: Assessment, status: HealthStatus, reason: &'static str) -> Case {
    Case {
        name,
        got,
        status,
        reason,
    }
}

/// Checks every row and reports all failures at once.
fn check(cases: Vec<Case>) -> usize {
    let mut failures = Vec::new();
    for c in &cases {
        let reason_ok = match c.reason.strip_prefix('=') {
            Some(exact) => c.got.reason == exact,
            None => c.got.reason.contains(c.reason),
        };
        let one_line = !c.got.reason.contains('\n')
            && c.got.reason.chars().count() <= MAX_REASON_CHARS
            && !c.got.reason.is_empty();
        if c.got.status != c.status || !reason_ok || !one_line {
            failures.push(format!(
                "{}: got {:?} {:?}, want {:?} {:?}",
                c.name, c.got.status, c.got.reason, c.status, c.reason
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    cases.len()
}

fn at(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap_or_default()
}

fn dep(
    status: DeploymentStatus,
    rollout: Option<RolloutState>,
    revision: u32,
    desired: u32,
    running: u32,
) -> DeploymentObservation {
    DeploymentObservation {
        id: format!("ecs-svc/{revision}"),
        status,
        rollout_state: rollout,
        desired,
        running,
        task_definition: format!(
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:{revision}"
        ),
        created_at: Some(at(revision.into())),
        ..Default::default()
    }
}

fn svc(
    desired: u32,
    running: u32,
    deployments: Vec<DeploymentObservation>,
) -> EcsServiceObservation {
    EcsServiceObservation {
        found: true,
        desired,
        running,
        deployments,
        ..Default::default()
    }
}

/// A service at rest on revision 12.
fn steady(desired: u32, running: u32) -> EcsServiceObservation {
    svc(
        desired,
        running,
        vec![dep(
            DeploymentStatus::Primary,
            Some(RolloutState::Completed),
            12,
            desired,
            running,
        )],
    )
}

/// Revision 13 rolling out over revision 12.
fn deploying(running: u32, failed_tasks: u32) -> EcsServiceObservation {
    let mut primary = dep(
        DeploymentStatus::Primary,
        Some(RolloutState::InProgress),
        13,
        3,
        running,
    );
    primary.failed_tasks = failed_tasks;
    svc(
        3,
        3,
        vec![
            primary,
            dep(
                DeploymentStatus::Active,
                Some(RolloutState::Completed),
                12,
                3,
                3,
            ),
        ],
    )
}

fn circuit_broken(rollback: bool) -> EcsServiceObservation {
    let mut failed = dep(
        DeploymentStatus::Primary,
        Some(RolloutState::Failed),
        12,
        3,
        0,
    );
    failed.rollout_state_reason =
        Some("ECS deployment circuit breaker: tasks failed to start.".to_owned());
    let mut deployments = vec![failed];
    if rollback {
        deployments[0].status = DeploymentStatus::Active;
        deployments.push(dep(
            DeploymentStatus::Primary,
            Some(RolloutState::InProgress),
            11,
            3,
            0,
        ));
    }
    EcsServiceObservation {
        circuit_breaker_triggered: true,
        ..svc(3, 0, deployments)
    }
}

fn targets(healthy: u32, unhealthy: u32, initial: u32) -> TargetHealthObservation {
    TargetHealthObservation {
        healthy,
        unhealthy,
        initial,
        ..Default::default()
    }
}

fn issue(reason: &str, description: Option<&str>) -> TargetIssue {
    TargetIssue {
        target: "10.0.3.17:8000".to_owned(),
        reason: reason.to_owned(),
        description: description.map(str::to_owned),
    }
}

fn alarm(name: &str, state: AlarmState) -> AlarmObservation {
    AlarmObservation {
        name: name.to_owned(),
        state,
        reason: "Threshold Crossed: 1 datapoint [12.0 (01/11/24 10:00:00)]\nwas greater than the threshold (5.0).".to_owned(),
    }
}

fn probe(outcome: ProbeOutcome) -> ProbeObservation {
    ProbeObservation {
        url: "https://api.dev.example.com/health/".to_owned(),
        outcome,
    }
}

fn ok_probe() -> ProbeObservation {
    probe(ProbeOutcome::Ok {
        status_code: 200,
        latency_ms: 35,
    })
}

fn http(status_code: u16) -> ProbeObservation {
    probe(ProbeOutcome::HttpError { status_code })
}

fn err(source: Source, kind: SourceErrorKind, message: &str) -> SourceError {
    SourceError::new(source, kind, message)
}

fn rds(status: &str) -> Assessment {
    assess_database(Ok(&RdsObservation {
        found: true,
        identifier: "gantry-dev".to_owned(),
        status: status.to_owned(),
        multi_az: false,
    }))
}

fn a(status: HealthStatus, reason: &str) -> Assessment {
    Assessment::new(status, reason)
}

const RUNNING: EcsContext = EcsContext {
    scaled_to_zero: false,
    deploying: false,
};
const DEPLOYING: EcsContext = EcsContext {
    scaled_to_zero: false,
    deploying: true,
};
const ZERO: EcsContext = EcsContext {
    scaled_to_zero: true,
    deploying: false,
};

#[test]
fn ecs_rules() {
    let mut starved = steady(3, 1);
    starved.pending = 2;
    starved.recent_events = vec![
        EcsEvent {
            at: at(1),
            message: "(service api) was unable to place a task because no container instance met all of its requirements.".to_owned(),
        },
        EcsEvent {
            at: at(5),
            message: "(service api) has reached a steady state.".to_owned(),
        },
        EcsEvent {
            at: at(0),
            message: "(service api) has started 2 tasks.".to_owned(),
        },
    ];
    let mut failed = steady(3, 3);
    failed.deployments[0].rollout_state = Some(RolloutState::Failed);
    failed.deployments[0].rollout_state_reason = Some("tasks failed to start".to_owned());
    let mut old_failure = steady(3, 3);
    old_failure.deployments.push(dep(
        DeploymentStatus::Inactive,
        Some(RolloutState::Failed),
        11,
        3,
        0,
    ));
    let mut classic = steady(3, 3);
    classic.deployments[0].rollout_state = None;
    classic.deployments[0].task_definition = "api:13".to_owned();
    classic
        .deployments
        .push(dep(DeploymentStatus::Active, None, 12, 3, 3));
    let mut no_rollout_short = steady(3, 2);
    no_rollout_short.deployments[0].rollout_state = None;

    let n = check(vec![
        case("not found", assess_ecs(&EcsServiceObservation::default()), Missing, "=ECS service not found in the cluster"),
        case(
            "inactive",
            assess_ecs(&EcsServiceObservation {
                status: EcsServiceStatus::Inactive,
                ..steady(3, 3)
            }),
            Missing,
            "deleted (INACTIVE)",
        ),
        case(
            "draining",
            assess_ecs(&EcsServiceObservation {
                status: EcsServiceStatus::Draining,
                ..steady(3, 3)
            }),
            Progressing,
            "being deleted",
        ),
        case("steady", assess_ecs(&steady(3, 3)), Healthy, "=3/3 tasks running (revision 12)"),
        case("more than desired", assess_ecs(&steady(2, 3)), Healthy, "3/2 tasks running"),
        case("scaled to zero", assess_ecs(&steady(0, 0)), Healthy, "=scaled to zero"),
        case("scaling to zero", assess_ecs(&steady(0, 2)), Healthy, "scaled to zero (2 tasks still stopping)"),
        case("deploying", assess_ecs(&deploying(1, 0)), Progressing, "=deploying revision 13: 1/3 running"),
        case(
            "deploying with failed tasks",
            assess_ecs(&deploying(1, 2)),
            Progressing,
            "=deploying revision 13: 1/3 running; 2 tasks failed so far",
        ),
        case("one failed task", assess_ecs(&deploying(2, 1)), Progressing, "; 1 task failed so far"),
        case("deploying without rollout states", assess_ecs(&classic), Progressing, "deploying revision 13: 3/3 running"),
        case("short without rollout states", assess_ecs(&no_rollout_short), Degraded, "2/3 tasks running"),
        case("rollout failed", assess_ecs(&failed), Degraded, "=3/3 tasks running; deployment failed: tasks failed to start"),
        case(
            "circuit breaker",
            assess_ecs(&circuit_broken(false)),
            Degraded,
            "=0/3 tasks running; deployment failed (circuit breaker)",
        ),
        case(
            "circuit breaker rolling back",
            assess_ecs(&circuit_broken(true)),
            Degraded,
            "deployment failed (circuit breaker); now deploying revision 11",
        ),
        case("old failure ignored", assess_ecs(&old_failure), Healthy, "3/3 tasks running"),
        case(
            "short of tasks",
            assess_ecs(&starved),
            Degraded,
            "=1/3 tasks running (2 pending); last event: (service api) was unable to place a task because no container instance met all of its requirements.",
        ),
        case("short without events", assess_ecs(&steady(3, 0)), Degraded, "=0/3 tasks running"),
    ]);
    assert_eq!(n, 18);
}

#[test]
fn target_rules() {
    let mismatch = TargetHealthObservation {
        issues: vec![
            issue(
                "Target.ResponseCodeMismatch",
                Some("Health checks failed with these codes: [502]"),
            ),
            issue("Target.ResponseCodeMismatch", None),
            issue("Target.ResponseCodeMismatch", None),
        ],
        ..targets(0, 3, 0)
    };
    let mixed = TargetHealthObservation {
        issues: vec![
            issue("Target.Timeout", Some("Request timed out")),
            issue("Target.FailedHealthChecks", None),
            issue("Target.FailedHealthChecks", Some("Health checks failed")),
        ],
        ..targets(1, 3, 0)
    };
    let unused = TargetHealthObservation {
        unused: 2,
        issues: vec![issue(
            "Target.NotInUse",
            Some("Target group is not configured to receive traffic from the load balancer"),
        )],
        ..Default::default()
    };
    let unavailable = TargetHealthObservation {
        unavailable: 2,
        ..Default::default()
    };
    let draining = TargetHealthObservation {
        draining: 2,
        ..Default::default()
    };
    let partly = TargetHealthObservation {
        draining: 1,
        ..targets(2, 0, 1)
    };

    let n = check(vec![
        case("all healthy", assess_targets(&targets(3, 0, 0), RUNNING), Healthy, "=3/3 targets healthy"),
        case(
            "none healthy",
            assess_targets(&mismatch, RUNNING),
            Degraded,
            "=no healthy targets (3 unhealthy): Target.ResponseCodeMismatch — Health checks failed with these codes: [502]",
        ),
        case(
            "some unhealthy, most common reason",
            assess_targets(&mixed, RUNNING),
            Degraded,
            "=3 of 4 targets unhealthy: Target.FailedHealthChecks — Health checks failed",
        ),
        case("unhealthy while deploying", assess_targets(&targets(2, 1, 0), DEPLOYING), Degraded, "1 of 3 targets unhealthy"),
        case("unhealthy when scaled to zero", assess_targets(&targets(0, 1, 0), ZERO), Degraded, "no healthy targets"),
        case("only initial", assess_targets(&targets(0, 0, 2), RUNNING), Progressing, "2 registering (initial health checks)"),
        case("healthy and more", assess_targets(&partly, DEPLOYING), Healthy, "=targets: 2 healthy, 1 registering, 1 draining"),
        case("none registered", assess_targets(&targets(0, 0, 0), RUNNING), Degraded, "=no targets registered in the target group"),
        case("none registered while deploying", assess_targets(&targets(0, 0, 0), DEPLOYING), Progressing, "no targets registered yet"),
        case("none at zero", assess_targets(&targets(0, 0, 0), ZERO), Healthy, "=no targets (scaled to zero)"),
        case("draining at zero", assess_targets(&draining, ZERO), Healthy, "2 draining; scaled to zero"),
        case("only draining", assess_targets(&draining, RUNNING), Degraded, "no healthy targets (2 draining)"),
        case("unused", assess_targets(&unused, RUNNING), Degraded, "(2 unused): Target.NotInUse — Target group is not configured"),
        case("unavailable", assess_targets(&unavailable, RUNNING), Unknown, "health checks disabled?"),
    ]);
    assert_eq!(n, 14);
}

#[test]
fn alarm_rules() {
    use AlarmState::{Alarm, InsufficientData, Ok};
    let n = check(vec![
        case(
            "one firing",
            assess_alarms(&[alarm("api-5xx", Alarm), alarm("api-latency", Ok)]),
            Degraded,
            "=alarm api-5xx in ALARM: Threshold Crossed: 1 datapoint [12.0 (01/11/24 10:00:00)] was greater than the threshold (5.0).",
        ),
        case(
            "two firing, sorted",
            assess_alarms(&[alarm("api-latency", Alarm), alarm("api-5xx", Alarm)]),
            Degraded,
            "=2 alarms in ALARM: api-5xx, api-latency",
        ),
        case(
            "firing beats insufficient data",
            assess_alarms(&[alarm("a", InsufficientData), alarm("b", Alarm)]),
            Degraded,
            "alarm b in ALARM",
        ),
        case(
            "insufficient data alone",
            assess_alarms(&[alarm("api-5xx", InsufficientData), alarm("cpu", Ok)]),
            Healthy,
            "=no alarm firing; insufficient data: api-5xx",
        ),
        case("all OK", assess_alarms(&[alarm("a", Ok), alarm("b", Ok)]), Healthy, "=2 alarms OK"),
        case("one OK", assess_alarms(&[alarm("a", Ok)]), Healthy, "=1 alarm OK"),
        case("none defined", assess_alarms(&[]), Healthy, "=no CloudWatch alarms defined"),
    ]);
    assert_eq!(n, 7);
}

#[test]
fn probe_rules() {
    let n = check(vec![
        case(
            "200",
            assess_probe(&ok_probe(), RUNNING),
            Healthy,
            "=health probe https://api.dev.example.com/health/: HTTP 200 in 35 ms",
        ),
        case(
            "301",
            assess_probe(
                &probe(ProbeOutcome::Ok {
                    status_code: 301,
                    latency_ms: 4,
                }),
                RUNNING,
            ),
            Healthy,
            "HTTP 301",
        ),
        case(
            "503",
            assess_probe(&http(503), RUNNING),
            Degraded,
            "=health probe https://api.dev.example.com/health/: HTTP 503",
        ),
        case(
            "400 from Django",
            assess_probe(&http(400), RUNNING),
            Degraded,
            "ALLOWED_HOSTS",
        ),
        case(
            "404",
            assess_probe(&http(404), RUNNING),
            Degraded,
            "wrong path",
        ),
        case(
            "Ok with a 500 is still a 500",
            assess_probe(
                &probe(ProbeOutcome::Ok {
                    status_code: 500,
                    latency_ms: 4,
                }),
                RUNNING,
            ),
            Degraded,
            "HTTP 500",
        ),
        case(
            "timeout",
            assess_probe(&probe(ProbeOutcome::Timeout), RUNNING),
            Degraded,
            "/health/ timed out",
        ),
        case(
            "connection refused",
            assess_probe(
                &probe(ProbeOutcome::ConnectionFailed {
                    message: "connection refused".to_owned(),
                }),
                RUNNING,
            ),
            Degraded,
            "could not connect: connection refused",
        ),
        case(
            "503 at zero",
            assess_probe(&http(503), ZERO),
            Healthy,
            "HTTP 503 (expected: scaled to zero)",
        ),
        case(
            "503 while deploying",
            assess_probe(&http(503), DEPLOYING),
            Degraded,
            "HTTP 503",
        ),
    ]);
    assert_eq!(n, 10);
}

#[test]
fn source_error_rules() {
    use SourceErrorKind::*;
    let n = check(vec![
        case(
            "ecs access denied",
            source_error(&err(Source::Ecs, AccessDenied, "User: arn:aws:sts::1:assumed-role/gantry is not authorized")),
            Unknown,
            "=ecs: access denied — grant ecs:DescribeServices to Gantry's role",
        ),
        case(
            "elbv2 access denied",
            source_error(&err(Source::Elbv2, AccessDenied, "")),
            Unknown,
            "grant elasticloadbalancing:DescribeTargetHealth",
        ),
        case(
            "cloudwatch throttled",
            source_error(&err(Source::Cloudwatch, Throttled, "Rate exceeded")),
            Unknown,
            "=cloudwatch: AWS throttled the request; will retry at the next poll",
        ),
        case(
            "target group not found",
            source_error(&err(Source::Elbv2, NotFound, "TargetGroupNotFound")),
            Unknown,
            "=elbv2: target group not found — check the environment's configuration (TargetGroupNotFound)",
        ),
        case(
            "unreachable",
            source_error(&err(Source::Ecs, Unreachable, "dns error")),
            Unknown,
            "=ecs: could not reach AWS (dns error); will retry at the next poll",
        ),
        case("invalid", source_error(&err(Source::Ecs, Invalid, "unknown rollout state FOO")), Unknown, "ecs: unexpected response (unknown rollout state FOO)"),
        case("other", source_error(&err(Source::Rds, Other, "")), Unknown, "=rds: could not be read"),
        case(
            "multi-line message",
            source_error(&err(Source::Probe, Other, "line one\n  line two")),
            Unknown,
            "=probe: line one line two",
        ),
        case(
            "ecs not found in the ECS slot",
            assess_service(Err(&err(Source::Ecs, NotFound, "ClusterNotFoundException")), None, None, None).overall,
            Missing,
            "=ecs: service or cluster not found (ClusterNotFoundException)",
        ),
        case(
            "ecs throttled in the ECS slot",
            assess_service(Err(&err(Source::Ecs, Throttled, "")), None, None, None).overall,
            Unknown,
            "throttled",
        ),
    ]);
    assert_eq!(n, 10);
}

#[test]
fn database_rules() {
    let not_found = assess_database(Ok(&RdsObservation {
        identifier: "gantry-dev".to_owned(),
        ..Default::default()
    }));
    let multi_az = assess_database(Ok(&RdsObservation {
        found: true,
        identifier: "gantry-prod".to_owned(),
        status: "available".to_owned(),
        multi_az: true,
    }));
    let n = check(vec![
        case(
            "available",
            rds("available"),
            Healthy,
            "=database gantry-dev: available (single-AZ)",
        ),
        case("available multi-AZ", multi_az, Healthy, "(Multi-AZ)"),
        case("case and spaces", rds(" Available "), Healthy, "available"),
        case(
            "backing-up",
            rds("backing-up"),
            Progressing,
            "=database gantry-dev: backing-up",
        ),
        case("modifying", rds("modifying"), Progressing, "modifying"),
        case("creating", rds("creating"), Progressing, "creating"),
        case("rebooting", rds("rebooting"), Progressing, "rebooting"),
        case("upgrading", rds("upgrading"), Progressing, "upgrading"),
        case(
            "maintenance",
            rds("maintenance"),
            Progressing,
            "maintenance",
        ),
        case(
            "configuring-*",
            rds("configuring-enhanced-monitoring"),
            Progressing,
            "configuring",
        ),
        case(
            "storage-full",
            rds("storage-full"),
            Degraded,
            "storage-full — increase the allocated storage",
        ),
        case("failed", rds("failed"), Degraded, "failed"),
        case(
            "incompatible-parameters",
            rds("incompatible-parameters"),
            Degraded,
            "incompatible-parameters",
        ),
        case(
            "incompatible-network",
            rds("incompatible-network"),
            Degraded,
            "incompatible-network",
        ),
        case(
            "inaccessible credentials",
            rds("inaccessible-encryption-credentials"),
            Degraded,
            "KMS key",
        ),
        case(
            "restore-error",
            rds("restore-error"),
            Degraded,
            "restore-error",
        ),
        case(
            "stopped",
            rds("stopped"),
            Degraded,
            "=database gantry-dev: stopped",
        ),
        case(
            "not found",
            not_found,
            Missing,
            "=database gantry-dev not found",
        ),
        case(
            "not found error",
            assess_database(Err(&err(
                Source::Rds,
                SourceErrorKind::NotFound,
                "DBInstanceNotFound",
            ))),
            Missing,
            "rds: database instance not found",
        ),
        case(
            "access denied",
            assess_database(Err(&err(Source::Rds, SourceErrorKind::AccessDenied, ""))),
            Unknown,
            "grant rds:DescribeDBInstances",
        ),
        case(
            "unrecognised",
            rds("hibernating"),
            Unknown,
            "=database gantry-dev: unrecognised RDS status \"hibernating\"",
        ),
        case("empty", rds(""), Unknown, "unrecognised RDS status \"\""),
    ]);
    assert_eq!(n, 22);
}

#[test]
fn service_rules() {
    let healthy = steady(3, 3);
    let all_targets = targets(3, 0, 0);
    let quiet = [alarm("api-5xx", AlarmState::InsufficientData)];
    let firing = [alarm("api-5xx", AlarmState::Alarm)];
    let denied = err(Source::Ecs, SourceErrorKind::AccessDenied, "");
    let missing = EcsServiceObservation::default();
    let zero = steady(0, 0);
    let registering = targets(0, 0, 3);
    let broken = circuit_broken(false);

    let all_good = assess_service(
        Ok(&healthy),
        Some(Ok(&all_targets)),
        Some(Ok(&quiet)),
        Some(&ok_probe()),
    );
    let parts: Vec<Component> = all_good.parts.iter().map(|(c, _)| *c).collect();
    assert_eq!(parts, Component::ALL.to_vec());
    let only_ecs = assess_service(Ok(&healthy), None, None, None);
    assert_eq!(only_ecs.parts.len(), 1);

    let n = check(vec![
        case(
            "all good",
            all_good.overall,
            Healthy,
            "=3/3 tasks running (revision 12)",
        ),
        case(
            "alarm firing",
            assess_service(
                Ok(&healthy),
                Some(Ok(&all_targets)),
                Some(Ok(&firing)),
                Some(&ok_probe()),
            )
            .overall,
            Degraded,
            "alarm api-5xx in ALARM",
        ),
        case(
            "ecs unreadable, probe fine",
            assess_service(Err(&denied), None, None, Some(&ok_probe())).overall,
            Unknown,
            "=ecs: access denied — grant ecs:DescribeServices to Gantry's role",
        ),
        case(
            "ecs unreadable, probe failing",
            assess_service(Err(&denied), None, None, Some(&http(502))).overall,
            Degraded,
            "HTTP 502",
        ),
        case(
            "missing names the cause",
            assess_service(
                Ok(&missing),
                Some(Ok(&targets(0, 0, 0))),
                None,
                Some(&probe(ProbeOutcome::Timeout)),
            )
            .overall,
            Missing,
            "=ECS service not found in the cluster",
        ),
        case(
            "scaled to zero",
            assess_service(
                Ok(&zero),
                Some(Ok(&targets(0, 0, 0))),
                Some(Ok(&quiet)),
                Some(&http(503)),
            )
            .overall,
            Healthy,
            "=scaled to zero",
        ),
        case(
            "scaled to zero with an alarm",
            assess_service(Ok(&zero), None, Some(Ok(&firing)), Some(&http(503))).overall,
            Degraded,
            "alarm api-5xx in ALARM",
        ),
        case(
            "deploying, tie goes to ecs",
            assess_service(Ok(&deploying(0, 0)), Some(Ok(&registering)), None, None).overall,
            Progressing,
            "=deploying revision 13: 0/3 running",
        ),
        case(
            "deploying with unhealthy targets",
            assess_service(
                Ok(&deploying(1, 0)),
                Some(Ok(&targets(2, 1, 0))),
                None,
                None,
            )
            .overall,
            Degraded,
            "1 of 3 targets unhealthy",
        ),
        case(
            "circuit breaker",
            assess_service(
                Ok(&broken),
                Some(Ok(&targets(0, 0, 0))),
                None,
                Some(&http(503)),
            )
            .overall,
            Degraded,
            "=0/3 tasks running; deployment failed (circuit breaker)",
        ),
        case(
            "targets unreadable",
            assess_service(
                Ok(&healthy),
                Some(Err(&err(Source::Elbv2, SourceErrorKind::Throttled, ""))),
                None,
                Some(&ok_probe()),
            )
            .overall,
            Unknown,
            "=elbv2: AWS throttled the request; will retry at the next poll",
        ),
        case(
            "alarms unreadable",
            assess_service(
                Ok(&healthy),
                None,
                Some(Err(&err(
                    Source::Cloudwatch,
                    SourceErrorKind::AccessDenied,
                    "",
                ))),
                None,
            )
            .overall,
            Unknown,
            "cloudwatch:DescribeAlarms",
        ),
    ]);
    assert_eq!(n, 12);
}

#[test]
fn roll_up_rules() {
    let api = a(
        Degraded,
        "0/3 tasks running; deployment failed (circuit breaker)",
    );
    let web = a(Healthy, "2/2 tasks running (revision 4)");
    let worker = a(Degraded, "alarm queue-depth in ALARM");
    let db = a(
        Unknown,
        "rds: AWS throttled the request; will retry at the next poll",
    );
    let long = a(Degraded, &"x".repeat(MAX_REASON_CHARS));

    let n = check(vec![
        case("empty", roll_up([]), Unknown, "=nothing observed"),
        case(
            "one healthy",
            roll_up([("web", &web)]),
            Healthy,
            "=web: 2/2 tasks running (revision 4)",
        ),
        case(
            "all healthy",
            roll_up([("web", &web), ("www", &web), ("cdn", &web)]),
            Healthy,
            "=all 3 healthy",
        ),
        case(
            "names the worst",
            roll_up([("web", &web), ("api", &api), ("db", &db)]),
            Degraded,
            "=api: 0/3 tasks running; deployment failed (circuit breaker)",
        ),
        case(
            "counts the others as bad",
            roll_up([("worker", &worker), ("web", &web), ("api", &api)]),
            Degraded,
            "=api: 0/3 tasks running; deployment failed (circuit breaker) (+1 more degraded)",
        ),
        case(
            "unknown beats healthy",
            roll_up([("web", &web), ("db", &db)]),
            Unknown,
            "db: rds: AWS throttled",
        ),
        case(
            "progressing beats healthy",
            roll_up([
                ("web", &web),
                ("api", &a(Progressing, "deploying revision 13: 1/3 running")),
            ]),
            Progressing,
            "api: deploying revision 13",
        ),
        case(
            "missing beats unknown",
            roll_up([
                ("db", &db),
                ("api", &a(Missing, "ECS service not found in the cluster")),
            ]),
            Missing,
            "api: ECS service not found",
        ),
        case(
            "degraded beats unknown",
            roll_up([("db", &db), ("worker", &worker)]),
            Degraded,
            "=worker: alarm queue-depth in ALARM",
        ),
        case(
            "long reason keeps the count",
            roll_up([("a", &long), ("b", &long)]),
            Degraded,
            "… (+1 more degraded)",
        ),
    ]);
    assert_eq!(n, 10);
}

#[test]
fn status_order_is_argo_with_unknown_below_known_bad() {
    assert_eq!(
        HealthStatus::ALL.to_vec(),
        vec![Healthy, Progressing, Unknown, Missing, Degraded]
    );
    for pair in HealthStatus::ALL.windows(2) {
        assert!(pair[0] < pair[1], "{:?} < {:?}", pair[0], pair[1]);
    }
    for &x in HealthStatus::ALL {
        for &y in HealthStatus::ALL {
            let (ax, ay) = (a(x, "x"), a(y, "y"));
            assert_eq!(roll_up([("x", &ax), ("y", &ay)]).status, x.max(y));
        }
    }
}

/// Every order of `items`, by Heap's algorithm.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    fn go<T: Clone>(k: usize, items: &mut Vec<T>, out: &mut Vec<Vec<T>>) {
        if k <= 1 {
            out.push(items.clone());
            return;
        }
        for i in 0..k - 1 {
            go(k - 1, items, out);
            items.swap(if k.is_multiple_of(2) { i } else { 0 }, k - 1);
        }
        go(k - 1, items, out);
    }
    let mut items = items.to_vec();
    let mut out = Vec::new();
    let k = items.len();
    go(k, &mut items, &mut out);
    out
}

fn sample() -> Vec<(String, Assessment)> {
    vec![
        ("web".to_owned(), a(Healthy, "2/2 tasks running")),
        ("api".to_owned(), a(Degraded, "0/3 tasks running")),
        (
            "worker".to_owned(),
            a(Degraded, "alarm queue-depth in ALARM"),
        ),
        ("db".to_owned(), a(Unknown, "rds: throttled")),
        (
            "cron".to_owned(),
            a(Progressing, "deploying revision 3: 0/1 running"),
        ),
        ("api".to_owned(), a(Degraded, "1/3 tasks running")),
    ]
}

fn roll(items: &[(String, Assessment)]) -> Assessment {
    roll_up(items.iter().map(|(n, a)| (n.as_str(), a)))
}

#[test]
fn roll_up_is_commutative() {
    let items = sample();
    let expected = roll(&items);
    let orders = permutations(&items);
    assert_eq!(orders.len(), 720);
    for order in &orders {
        assert_eq!(roll(order), expected);
    }
    // And on every subset, in every order.
    for mask in 0u32..(1 << items.len()) {
        let subset: Vec<_> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, x)| x.clone())
            .collect();
        let want = roll(&subset);
        for order in permutations(&subset) {
            assert_eq!(roll(&order), want, "subset {mask:b}");
        }
    }
}

#[test]
fn roll_up_is_worst_of_and_monotone() {
    let items = sample();
    for mask in 1u32..(1 << items.len()) {
        let subset: Vec<_> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, x)| x.clone())
            .collect();
        let got = roll(&subset);
        let worst = subset.iter().map(|(_, a)| a.status).max();
        assert_eq!(Some(got.status), worst);
        // Adding anything never makes it better.
        for extra in &items {
            let mut more = subset.clone();
            more.push(extra.clone());
            assert!(roll(&more).status >= got.status);
        }
        // Rolling up roll-ups gives the same status as one flat roll-up.
        let (left, right) = subset.split_at(subset.len() / 2);
        let nested = [
            ("left".to_owned(), roll(left)),
            ("right".to_owned(), roll(right)),
        ];
        let nested: Vec<_> = nested
            .into_iter()
            .filter(|(_, a)| a.reason != "nothing observed")
            .collect();
        assert_eq!(roll(&nested).status, got.status);
    }
}
