//! Health server functions: thin shims over `gantry_core::health`. Both read
//! or nudge the poller's stored snapshots; neither calls AWS itself.

use leptos::prelude::*;

use super::dto::EnvironmentHealthView;
use crate::error::AppError;

/// The live part of an environment page: the latest snapshot, drift against
/// the roadmap, and recent status changes. Refetched by the page while open;
/// reads the database only.
#[server(prefix = "/api", endpoint = "health/environment")]
pub async fn environment_health(name: String) -> Result<EnvironmentHealthView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let health =
        gantry_core::health::service::environment_health(&services.db, &crate::wire::name(&name)?)
            .await?;
    Ok(convert::health(
        &health,
        services.health_poll_interval,
        services.clock.now(),
    ))
}

/// Asks the health poller to read AWS now rather than at its next tick
/// (operators and admins). At most one request per 10 s is accepted, from
/// everyone together: each poll costs about 5 AWS requests per environment.
#[server(prefix = "/api", endpoint = "health/poll")]
pub async fn check_health_now() -> Result<String, AppError> {
    crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let Some(trigger) = use_context::<gantry_core::health::poll::PollTrigger>() else {
        return Err(AppError::unavailable(
            "health polling is off on this server ([health] enabled = false)",
        ));
    };
    match trigger.request() {
        Ok(()) => {
            Ok("Health check started: the figures below update within a few seconds.".to_owned())
        }
        Err(too_soon) => Err(AppError::refused(too_soon)),
    }
}

/// Conversions to the health wire types; `summary` is the environments
/// overview's health column.
#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use chrono::{DateTime, Utc};
    use gantry_core::health::drift::Drift;
    use gantry_core::health::model::{Assessment, ProbeOutcome};
    use gantry_core::health::service::EnvironmentHealth;
    use gantry_core::health::snapshot::{EnvironmentSnapshot, HealthTransition, Sourced};

    use super::super::dto::*;
    use crate::wire::ts;

    /// The environment page's live part.
    pub fn health(
        h: &EnvironmentHealth,
        poll_interval: std::time::Duration,
        now: DateTime<Utc>,
    ) -> EnvironmentHealthView {
        EnvironmentHealthView {
            environment: h.environment.name.to_string(),
            snapshot: h
                .snapshot
                .as_ref()
                .map(|snap| snapshot(snap, &h.drift, &h.transitions, now)),
            refresh_secs: u32::try_from(poll_interval.as_secs())
                .unwrap_or(u32::MAX)
                .clamp(5, 300),
        }
    }

    fn badge(a: &Assessment) -> HealthBadgeView {
        HealthBadgeView {
            status: a.status,
            reason: a.reason.clone(),
        }
    }

    fn reading<T>(s: &Sourced<T>, now: DateTime<Utc>) -> ReadingView {
        ReadingView {
            read_at: s.read_at.map(ts),
            age_secs: s.read_at.map(|t| (now - t).num_seconds().max(0)),
            error: s
                .error
                .as_ref()
                .map(|e| gantry_core::health::rules::source_error(e).reason),
        }
    }

    pub fn summary(
        snap: &EnvironmentSnapshot,
        drift: usize,
        now: DateTime<Utc>,
    ) -> HealthSummaryView {
        let first = snap.services.first();
        HealthSummaryView {
            overall: badge(&snap.overall),
            polled_at: ts(snap.polled_at),
            age_secs: (now - snap.polled_at).num_seconds().max(0),
            image: first.and_then(|s| s.image.clone()),
            task_definition: first.and_then(|s| s.task_definition.clone()),
            last_deploy_at: first.and_then(|s| s.last_deploy_at).map(ts),
            drift,
        }
    }

    fn probe_text(outcome: &ProbeOutcome) -> (String, bool) {
        match outcome {
            ProbeOutcome::Ok {
                status_code,
                latency_ms,
            } => (format!("HTTP {status_code} in {latency_ms} ms"), true),
            ProbeOutcome::HttpError { status_code } => (format!("HTTP {status_code}"), false),
            ProbeOutcome::Timeout => ("timed out".to_owned(), false),
            ProbeOutcome::ConnectionFailed { message } => {
                (format!("connection failed: {message}"), false)
            }
        }
    }

    fn snapshot(
        snap: &EnvironmentSnapshot,
        drift: &[Drift],
        transitions: &[HealthTransition],
        now: DateTime<Utc>,
    ) -> SnapshotView {
        let services = snap
            .services
            .iter()
            .map(|s| {
                let ecs = s.ecs.data.clone().unwrap_or_default();
                let mut events: Vec<EventView> = ecs
                    .recent_events
                    .iter()
                    .map(|e| EventView {
                        at: ts(e.at),
                        message: e.message.clone(),
                    })
                    .collect();
                events.sort_by(|a, b| b.at.cmp(&a.at));
                ServiceHealthView {
                    name: s.name.clone(),
                    overall: badge(&s.health.overall),
                    parts: s.health.parts.iter().map(|(c, a)| (*c, badge(a))).collect(),
                    ecs: reading(&s.ecs, now),
                    found: ecs.found,
                    desired: ecs.desired,
                    running: ecs.running,
                    pending: ecs.pending,
                    image: s.image.clone(),
                    task_definition: s.task_definition.clone(),
                    last_deploy_at: s.last_deploy_at.map(ts),
                    deployments: ecs
                        .deployments
                        .iter()
                        .map(|d| DeploymentView {
                            id: d.id.clone(),
                            status: d.status.as_str().to_owned(),
                            rollout: d.rollout_state.map(|r| r.as_str().to_owned()),
                            rollout_reason: d.rollout_state_reason.clone(),
                            desired: d.desired,
                            running: d.running,
                            pending: d.pending,
                            failed_tasks: d.failed_tasks,
                            task_definition: d.task_definition.clone(),
                            created_at: d.created_at.map(ts),
                        })
                        .collect(),
                    events,
                    targets: s.targets.as_ref().map(|t| {
                        let data = t.data.clone().unwrap_or_default();
                        TargetsView {
                            reading: reading(t, now),
                            healthy: data.healthy,
                            unhealthy: data.unhealthy,
                            initial: data.initial,
                            draining: data.draining,
                            unused: data.unused,
                            unavailable: data.unavailable,
                            issues: data
                                .issues
                                .iter()
                                .map(|i| match &i.description {
                                    Some(d) => format!("{}: {} — {d}", i.target, i.reason),
                                    None => format!("{}: {}", i.target, i.reason),
                                })
                                .collect(),
                        }
                    }),
                    alarms: s.alarms.as_ref().map(|a| AlarmsView {
                        reading: reading(a, now),
                        alarms: a
                            .data
                            .iter()
                            .flatten()
                            .map(|alarm| AlarmView {
                                name: alarm.name.clone(),
                                state: alarm.state.as_str().to_owned(),
                                reason: alarm.reason.clone(),
                            })
                            .collect(),
                    }),
                    probe: s.probe.as_ref().map(|p| {
                        let (outcome, ok) = match &p.data {
                            Some(obs) => {
                                let (text, ok) = probe_text(&obs.outcome);
                                (Some(text), ok)
                            }
                            None => (None, false),
                        };
                        ProbeView {
                            reading: reading(p, now),
                            url: p.data.as_ref().map(|o| o.url.clone()),
                            outcome,
                            ok,
                        }
                    }),
                }
            })
            .collect();
        SnapshotView {
            polled_at: ts(snap.polled_at),
            age_secs: (now - snap.polled_at).num_seconds().max(0),
            overall: badge(&snap.overall),
            services,
            database: snap.database.as_ref().map(|d| DatabaseView {
                identifier: d.identifier.clone(),
                health: badge(&d.health),
                reading: reading(&d.rds, now),
                status: d.rds.data.as_ref().map(|r| r.status.clone()),
                multi_az: d.rds.data.as_ref().is_some_and(|r| r.multi_az),
            }),
            parameters: reading(&snap.parameters, now),
            parameter_list: snap
                .parameters
                .data
                .iter()
                .flatten()
                .map(|p| {
                    let secure =
                        p.kind == gantry_core::health::snapshot::ParameterKind::SecureString;
                    ParameterView {
                        name: p.name.clone(),
                        kind: p.kind.as_str().to_owned(),
                        // Belt and braces: a SecureString value is dropped when
                        // the parameter is built; never send one even so.
                        value: if secure { None } else { p.value.clone() },
                        secure,
                        version: p.version,
                        last_modified: p.last_modified.map(ts),
                    }
                })
                .collect(),
            drift: drift
                .iter()
                .map(|d| DriftView {
                    module: d.module.clone(),
                    module_name: d.module_name.clone(),
                    message: d.message.clone(),
                })
                .collect(),
            transitions: transitions
                .iter()
                .map(|t| TransitionView {
                    subject: t.subject.clone(),
                    from: t.from,
                    to: HealthBadgeView {
                        status: t.to,
                        reason: t.reason.clone(),
                    },
                    at: ts(t.at),
                })
                .collect(),
        }
    }
}
