//! The health rules: observations to assessments, and the worst-of roll-up.
//!
//! Pure functions, no I/O. Every reason is one line that says what is wrong
//! and, where Gantry knows it, what to do about it.

use super::model::{
    one_line, AlarmObservation, AlarmState, Assessment, Component, DeploymentObservation,
    DeploymentStatus, EcsServiceObservation, EcsServiceStatus, HealthStatus, ProbeObservation,
    ProbeOutcome, RdsObservation, RolloutState, ServiceHealth, SourceError, SourceErrorKind,
    TargetHealthObservation,
};

/// Longest piece of AWS text (event, alarm reason, SDK message) quoted inside
/// a reason, so the part Gantry wrote stays visible.
const QUOTE_CHARS: usize = 160;

/// One service's health from everything observed about it.
///
/// `None` for targets, alarms or probe means the source does not apply (no load
/// balancer, no alarms configured, no endpoint); an `Err` means it applies but
/// could not be read. Rules, one per line:
/// - service not found (or an ECS not-found error, or status INACTIVE) → Missing
/// - service DRAINING (being deleted) → Progressing
/// - a rollout FAILED or the circuit breaker triggered → Degraded
///   ("0/3 tasks running; deployment failed (circuit breaker)")
/// - a deployment IN_PROGRESS (or, without rollout states, an ACTIVE deployment
///   beside the PRIMARY) → Progressing ("deploying revision 12: 1/3 running")
/// - failed tasks in the primary deployment while in progress → Progressing,
///   with the count ("…; 2 tasks failed so far")
/// - desired 0 → Healthy ("scaled to zero") unless another part says otherwise
/// - running < desired with no deployment in progress → Degraded, quoting the
///   latest ECS event that is not a steady-state notice
/// - any alarm in ALARM → Degraded, naming the alarm(s)
/// - INSUFFICIENT_DATA alarms alone → Healthy, named in the reason: CloudWatch
///   reports a metric that emits only on events (5xx count on a quiet service)
///   as insufficient data, so counting it against the service paints quiet
///   services grey
/// - unhealthy targets > 0 and healthy 0 → Degraded ("no healthy targets: …")
/// - some targets unhealthy → Degraded, naming ALB's most common reason
///   ("1 of 3 targets unhealthy: Target.ResponseCodeMismatch — …")
/// - only initial targets → Progressing; no targets while deploying → Progressing
/// - no healthy targets otherwise (none registered, all unused or draining) →
///   Degraded; all "unavailable" (health checks disabled) → Unknown
/// - probe HTTP 2xx/3xx → Healthy; any other code, timeout or connection
///   failure → Degraded
/// - with desired 0, a failed probe and a target group without targets are
///   expected and stay Healthy; unhealthy targets and firing alarms do not
/// - a source error → Unknown with an actionable reason (see [`source_error`])
///
/// Overall: the worst part by [`HealthStatus`] order, the earlier component on
/// a tie, its reason verbatim (each part's reason names its source). One
/// exception: when ECS says Missing, the overall is that Missing, because a
/// failing probe or an empty target group is then a consequence, and the page
/// should name the cause.
pub fn assess_service(
    ecs: Result<&EcsServiceObservation, &SourceError>,
    targets: Option<Result<&TargetHealthObservation, &SourceError>>,
    alarms: Option<Result<&[AlarmObservation], &SourceError>>,
    probe: Option<&ProbeObservation>,
) -> ServiceHealth {
    let ctx = match ecs {
        Ok(obs) if obs.found && obs.status == EcsServiceStatus::Active => EcsContext {
            scaled_to_zero: obs.desired == 0,
            deploying: deployment_in_progress(obs),
        },
        _ => EcsContext::default(),
    };
    let ecs_part = match ecs {
        Ok(obs) => assess_ecs(obs),
        Err(err) if err.kind == SourceErrorKind::NotFound => not_found(err),
        Err(err) => source_error(err),
    };
    let mut parts = Vec::new();
    if let Some(targets) = targets {
        let part = match targets {
            Ok(obs) => assess_targets(obs, ctx),
            Err(err) => source_error(err),
        };
        parts.push((Component::Targets, part));
    }
    if let Some(alarms) = alarms {
        let part = match alarms {
            Ok(obs) => assess_alarms(obs),
            Err(err) => source_error(err),
        };
        parts.push((Component::Alarms, part));
    }
    if let Some(probe) = probe {
        parts.push((Component::Probe, assess_probe(probe, ctx)));
    }

    let overall = if ecs_part.status == HealthStatus::Missing {
        ecs_part.clone()
    } else {
        parts
            .iter()
            .map(|(_, part)| part)
            // Strictly worse only, so a tie keeps the earlier component.
            .fold(&ecs_part, |worst, part| {
                if part.status > worst.status {
                    part
                } else {
                    worst
                }
            })
            .clone()
    };
    parts.insert(0, (Component::Ecs, ecs_part));
    ServiceHealth { overall, parts }
}

/// The database's health from RDS's `DBInstanceStatus`.
///
/// Rules, one per line:
/// - not found (or an RDS not-found error) → Missing
/// - available → Healthy
/// - backing-up, modifying, creating, rebooting, upgrading, maintenance,
///   starting, stopping, renaming, storage-optimization, configuring-* and the
///   like → Progressing (RDS is busy by design and will come back by itself)
/// - storage-full, failed, incompatible-*, inaccessible-encryption-credentials*,
///   restore-error, insufficient-capacity, deleting → Degraded
/// - stopped → Degraded ("stopped": the app cannot reach it)
/// - any other status → Unknown, naming it
/// - another source error → Unknown (see [`source_error`])
pub fn assess_database(rds: Result<&RdsObservation, &SourceError>) -> Assessment {
    let obs = match rds {
        Ok(obs) => obs,
        Err(err) if err.kind == SourceErrorKind::NotFound => return not_found(err),
        Err(err) => return source_error(err),
    };
    let id = &obs.identifier;
    if !obs.found {
        return Assessment::new(HealthStatus::Missing, format!("database {id} not found"));
    }
    let status = obs.status.trim().to_ascii_lowercase();
    let (health, hint) = match status.as_str() {
        "available" => (
            HealthStatus::Healthy,
            if obs.multi_az {
                " (Multi-AZ)"
            } else {
                " (single-AZ)"
            },
        ),
        "backing-up"
        | "modifying"
        | "creating"
        | "rebooting"
        | "upgrading"
        | "maintenance"
        | "starting"
        | "stopping"
        | "renaming"
        | "resetting-master-credentials"
        | "storage-optimization"
        | "storage-config-upgrade"
        | "converting-to-vpc"
        | "moving-to-vpc" => (HealthStatus::Progressing, ""),
        s if s.starts_with("configuring-") => (HealthStatus::Progressing, ""),
        "storage-full" => (
            HealthStatus::Degraded,
            " — increase the allocated storage or enable storage autoscaling",
        ),
        "failed" | "restore-error" => (HealthStatus::Degraded, " — see the RDS events"),
        "insufficient-capacity" => (
            HealthStatus::Degraded,
            " — RDS has no capacity for this instance class in the zone",
        ),
        "stopped" => (HealthStatus::Degraded, ""),
        "delete-precheck" | "deleting" => (HealthStatus::Degraded, ""),
        s if s.starts_with("inaccessible-encryption-credentials") => (
            HealthStatus::Degraded,
            " — the KMS key is disabled or RDS lost access to it",
        ),
        s if s.starts_with("incompatible-") => (
            HealthStatus::Degraded,
            " — fix the setting RDS names and modify the instance",
        ),
        _ => {
            return Assessment::new(
                HealthStatus::Unknown,
                format!(
                    "database {id}: unrecognised RDS status {:?}",
                    one_line(&obs.status, QUOTE_CHARS)
                ),
            )
        }
    };
    Assessment::new(health, format!("database {id}: {status}{hint}"))
}

/// The worst-of rule over named assessments (services of an environment,
/// environments of a portfolio).
///
/// The status is the worst by [`HealthStatus`] order. The reason names the
/// worst component, "api: 0/3 tasks running; deployment failed (circuit
/// breaker)", and counts the others as bad ("… (+2 more degraded)"); when all
/// are Healthy it says "all 3 healthy". A tie goes to the smaller name, so the
/// result does not depend on the order of `items` (the page must not flicker
/// between polls that list services differently).
///
/// Nothing at all → Unknown "nothing observed": an environment with nothing to
/// look at must not show green.
pub fn roll_up<'a, I>(items: I) -> Assessment
where
    I: IntoIterator<Item = (&'a str, &'a Assessment)>,
{
    let mut all: Vec<(&str, &Assessment)> = items.into_iter().collect();
    all.sort_by(|(name_a, a), (name_b, b)| {
        b.status
            .cmp(&a.status)
            .then_with(|| name_a.cmp(name_b))
            .then_with(|| a.reason.cmp(&b.reason))
    });
    let Some(&(name, worst)) = all.first() else {
        return nothing_observed();
    };
    if worst.status == HealthStatus::Healthy && all.len() > 1 {
        return Assessment::new(HealthStatus::Healthy, format!("all {} healthy", all.len()));
    }
    let others = all
        .iter()
        .skip(1)
        .filter(|(_, a)| a.status == worst.status)
        .count();
    let more = if others > 0 {
        format!(
            " (+{others} more {})",
            worst.status.label().to_ascii_lowercase()
        )
    } else {
        String::new()
    };
    // The tail is what gets cut if anything must be, not the count.
    let head = one_line(
        &format!("{name}: {}", worst.reason),
        super::model::MAX_REASON_CHARS - more.chars().count(),
    );
    Assessment::new(worst.status, format!("{head}{more}"))
}

/// A source that could not be read → Unknown, with what to do about it:
/// - throttled → "AWS throttled the request; will retry at the next poll"
/// - access denied → "access denied — grant ecs:DescribeServices to Gantry's role"
/// - not found → "target group not found — check the environment's configuration"
///   (the ECS and RDS slots turn not-found into Missing instead)
/// - unreachable → "could not reach AWS …; will retry at the next poll"
/// - invalid → "unexpected response — …"
/// - other → the SDK's message
pub fn source_error(err: &SourceError) -> Assessment {
    let src = err.source;
    let msg = one_line(&err.message, QUOTE_CHARS);
    let detail = if msg.is_empty() {
        String::new()
    } else {
        format!(" ({msg})")
    };
    let reason = match err.kind {
        SourceErrorKind::Throttled => {
            format!("{src}: AWS throttled the request; will retry at the next poll")
        }
        SourceErrorKind::AccessDenied => match src.iam_action() {
            Some(action) => format!("{src}: access denied — grant {action} to Gantry's role"),
            None => format!("{src}: access denied{detail}"),
        },
        SourceErrorKind::NotFound => format!(
            "{src}: {} not found — check the environment's configuration{detail}",
            src.subject()
        ),
        SourceErrorKind::Unreachable => {
            let what = match src {
                super::model::Source::Probe => "the service",
                _ => "AWS",
            };
            format!("{src}: could not reach {what}{detail}; will retry at the next poll")
        }
        SourceErrorKind::Invalid => format!("{src}: unexpected response{detail}"),
        SourceErrorKind::Other if msg.is_empty() => format!("{src}: could not be read"),
        SourceErrorKind::Other => format!("{src}: {msg}"),
    };
    Assessment::new(HealthStatus::Unknown, reason)
}

/// What the ECS part tells the other parts.
#[derive(Debug, Clone, Copy, Default)]
struct EcsContext {
    scaled_to_zero: bool,
    deploying: bool,
}

fn nothing_observed() -> Assessment {
    Assessment::new(HealthStatus::Unknown, "nothing observed")
}

/// A not-found error in the ECS or RDS slot: the thing itself is missing.
fn not_found(err: &SourceError) -> Assessment {
    let msg = one_line(&err.message, QUOTE_CHARS);
    let mut reason = format!("{}: {} not found", err.source, err.source.subject());
    if !msg.is_empty() {
        reason.push_str(&format!(" ({msg})"));
    }
    Assessment::new(HealthStatus::Missing, reason)
}

fn primary(obs: &EcsServiceObservation) -> Option<&DeploymentObservation> {
    obs.deployments
        .iter()
        .find(|d| d.status == DeploymentStatus::Primary)
}

/// IN_PROGRESS on the primary; without rollout states (other deployment
/// controllers, old services), ECS's own definition: an older deployment is
/// still ACTIVE beside the primary.
fn deployment_in_progress(obs: &EcsServiceObservation) -> bool {
    primary(obs).is_some_and(|p| match p.rollout_state {
        Some(state) => state == RolloutState::InProgress,
        None => obs
            .deployments
            .iter()
            .any(|d| d.status == DeploymentStatus::Active),
    })
}

fn tasks_running(running: u32, desired: u32, pending: u32) -> String {
    if pending > 0 {
        format!("{running}/{desired} tasks running ({pending} pending)")
    } else {
        format!("{running}/{desired} tasks running")
    }
}

fn assess_ecs(obs: &EcsServiceObservation) -> Assessment {
    if !obs.found {
        return Assessment::new(
            HealthStatus::Missing,
            "ECS service not found in the cluster",
        );
    }
    match obs.status {
        EcsServiceStatus::Inactive => {
            return Assessment::new(HealthStatus::Missing, "ECS service was deleted (INACTIVE)")
        }
        EcsServiceStatus::Draining => {
            return Assessment::new(
                HealthStatus::Progressing,
                "ECS service is being deleted (DRAINING)",
            )
        }
        EcsServiceStatus::Active => {}
    }
    let tasks = tasks_running(obs.running, obs.desired, obs.pending);
    let primary = primary(obs);
    let failed = obs.deployments.iter().find(|d| {
        d.status != DeploymentStatus::Inactive && d.rollout_state == Some(RolloutState::Failed)
    });

    if obs.circuit_breaker_triggered || failed.is_some() {
        let mut reason = tasks;
        if obs.circuit_breaker_triggered {
            reason.push_str("; deployment failed (circuit breaker)");
        } else {
            reason.push_str("; deployment failed");
            if let Some(why) = failed.and_then(|d| d.rollout_state_reason.as_deref()) {
                reason.push_str(&format!(": {}", one_line(why, QUOTE_CHARS)));
            }
        }
        // With rollback on, ECS starts a new primary of the last good revision.
        if let Some(p) = primary.filter(|p| p.rollout_state == Some(RolloutState::InProgress)) {
            reason.push_str(&format!("; now deploying revision {}", p.revision()));
        }
        return Assessment::new(HealthStatus::Degraded, reason);
    }

    if let Some(p) = primary.filter(|_| deployment_in_progress(obs)) {
        let mut reason = format!(
            "deploying revision {}: {}/{} running",
            p.revision(),
            p.running,
            p.desired
        );
        if p.pending > 0 {
            reason.push_str(&format!(" ({} pending)", p.pending));
        }
        if p.failed_tasks > 0 {
            let s = if p.failed_tasks == 1 { "" } else { "s" };
            reason.push_str(&format!("; {} task{s} failed so far", p.failed_tasks));
        }
        return Assessment::new(HealthStatus::Progressing, reason);
    }

    if obs.desired == 0 {
        let reason = if obs.running > 0 {
            format!("scaled to zero ({} tasks still stopping)", obs.running)
        } else {
            "scaled to zero".to_owned()
        };
        return Assessment::new(HealthStatus::Healthy, reason);
    }

    if obs.running < obs.desired {
        let mut reason = tasks;
        if let Some(event) = latest_telling_event(obs) {
            reason.push_str(&format!("; last event: {}", one_line(event, QUOTE_CHARS)));
        }
        return Assessment::new(HealthStatus::Degraded, reason);
    }

    let revision = primary
        .map(|p| format!(" (revision {})", p.revision()))
        .unwrap_or_default();
    Assessment::new(HealthStatus::Healthy, format!("{tasks}{revision}"))
}

/// The newest event that explains something: ECS repeats "has reached a
/// steady state" every few hours, which says nothing about missing tasks.
fn latest_telling_event(obs: &EcsServiceObservation) -> Option<&str> {
    obs.recent_events
        .iter()
        .filter(|e| !e.message.contains("steady state"))
        .max_by_key(|e| e.at)
        .map(|e| e.message.as_str())
}

/// ALB's most common reason among the issues, with the first description
/// given for it: "Target.ResponseCodeMismatch — Health checks failed with
/// these codes: [502]".
fn dominant_target_reason(obs: &TargetHealthObservation) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for issue in obs.issues.iter().filter(|i| !i.reason.trim().is_empty()) {
        match counts.iter_mut().find(|(r, _)| *r == issue.reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((&issue.reason, 1)),
        }
    }
    let (reason, _) = counts
        .into_iter()
        .min_by(|(ra, na), (rb, nb)| nb.cmp(na).then_with(|| ra.cmp(rb)))?;
    let description = obs
        .issues
        .iter()
        .filter(|i| i.reason == reason)
        .find_map(|i| i.description.as_deref())
        .filter(|d| !d.trim().is_empty());
    Some(match description {
        Some(d) => format!("{reason} — {}", one_line(d, QUOTE_CHARS)),
        None => reason.to_owned(),
    })
}

/// "2 healthy, 1 draining"
fn target_counts(obs: &TargetHealthObservation) -> String {
    let counts = [
        (obs.healthy, "healthy"),
        (obs.unhealthy, "unhealthy"),
        (obs.initial, "registering"),
        (obs.draining, "draining"),
        (obs.unused, "unused"),
        (obs.unavailable, "unavailable"),
    ];
    counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn assess_targets(obs: &TargetHealthObservation, ctx: EcsContext) -> Assessment {
    let total = obs.total();
    let why = dominant_target_reason(obs)
        .map(|r| format!(": {r}"))
        .unwrap_or_default();

    if obs.unhealthy > 0 {
        let reason = if obs.healthy == 0 {
            format!("no healthy targets ({}){why}", target_counts(obs))
        } else {
            format!("{} of {total} targets unhealthy{why}", obs.unhealthy)
        };
        return Assessment::new(HealthStatus::Degraded, reason);
    }
    if obs.healthy > 0 {
        let reason = if obs.healthy == total {
            format!("{total}/{total} targets healthy")
        } else {
            format!("targets: {}", target_counts(obs))
        };
        return Assessment::new(HealthStatus::Healthy, reason);
    }
    if obs.initial > 0 {
        return Assessment::new(
            HealthStatus::Progressing,
            format!(
                "no healthy targets yet: {} (initial health checks)",
                target_counts(obs)
            ),
        );
    }
    if ctx.scaled_to_zero {
        let reason = if total == 0 {
            "no targets (scaled to zero)".to_owned()
        } else {
            format!(
                "no healthy targets ({}; scaled to zero)",
                target_counts(obs)
            )
        };
        return Assessment::new(HealthStatus::Healthy, reason);
    }
    if total == 0 {
        return if ctx.deploying {
            Assessment::new(HealthStatus::Progressing, "no targets registered yet")
        } else {
            Assessment::new(
                HealthStatus::Degraded,
                "no targets registered in the target group",
            )
        };
    }
    if obs.unavailable == total {
        return Assessment::new(
            HealthStatus::Unknown,
            format!("target health unavailable for {total} targets (health checks disabled?)"),
        );
    }
    Assessment::new(
        HealthStatus::Degraded,
        format!("no healthy targets ({}){why}", target_counts(obs)),
    )
}

fn assess_alarms(alarms: &[AlarmObservation]) -> Assessment {
    let names_in = |state: AlarmState| {
        let mut names: Vec<&AlarmObservation> =
            alarms.iter().filter(|a| a.state == state).collect();
        names.sort_by(|a, b| a.name.cmp(&b.name));
        names
    };
    let firing = names_in(AlarmState::Alarm);
    match firing.as_slice() {
        [] => {}
        [one] => {
            let mut reason = format!("alarm {} in ALARM", one.name);
            let why = one_line(&one.reason, QUOTE_CHARS);
            if !why.is_empty() {
                reason.push_str(&format!(": {why}"));
            }
            return Assessment::new(HealthStatus::Degraded, reason);
        }
        many => {
            let names: Vec<&str> = many.iter().map(|a| a.name.as_str()).collect();
            return Assessment::new(
                HealthStatus::Degraded,
                format!("{} alarms in ALARM: {}", many.len(), names.join(", ")),
            );
        }
    }
    let waiting = names_in(AlarmState::InsufficientData);
    let reason = if alarms.is_empty() {
        "no CloudWatch alarms defined".to_owned()
    } else if waiting.is_empty() {
        let s = if alarms.len() == 1 { "" } else { "s" };
        format!("{} alarm{s} OK", alarms.len())
    } else {
        let names: Vec<&str> = waiting.iter().map(|a| a.name.as_str()).collect();
        format!("no alarm firing; insufficient data: {}", names.join(", "))
    };
    Assessment::new(HealthStatus::Healthy, reason)
}

fn assess_probe(probe: &ProbeObservation, ctx: EcsContext) -> Assessment {
    let url = &probe.url;
    let (status, reason) = match &probe.outcome {
        ProbeOutcome::Ok {
            status_code,
            latency_ms,
        } if (200..400).contains(status_code) => (
            HealthStatus::Healthy,
            format!("health probe {url}: HTTP {status_code} in {latency_ms} ms"),
        ),
        ProbeOutcome::Ok { status_code, .. } | ProbeOutcome::HttpError { status_code } => {
            let hint = match status_code {
                400 => " — the app rejected the Host header (check ALLOWED_HOSTS)",
                401 | 403 => " — the endpoint requires authentication",
                404 => " — wrong path or load balancer rule",
                _ => "",
            };
            (
                HealthStatus::Degraded,
                format!("health probe {url}: HTTP {status_code}{hint}"),
            )
        }
        ProbeOutcome::Timeout => (
            HealthStatus::Degraded,
            format!("health probe {url} timed out"),
        ),
        ProbeOutcome::ConnectionFailed { message } => (
            HealthStatus::Degraded,
            format!(
                "health probe {url} could not connect: {}",
                one_line(message, QUOTE_CHARS)
            ),
        ),
    };
    if status == HealthStatus::Degraded && ctx.scaled_to_zero {
        return Assessment::new(
            HealthStatus::Healthy,
            format!("{reason} (expected: scaled to zero)"),
        );
    }
    Assessment::new(status, reason)
}

#[cfg(test)]
mod tests;
