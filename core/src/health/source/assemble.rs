//! The snapshot of an environment from one poll's raw observations: each
//! source's reading (or its error beside the previous reading) and the health
//! the rules give it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Observed, ObservedService};
use crate::environments::model::Environment;
use crate::health::model::{Assessment, Source, SourceError, SourceErrorKind};
use crate::health::rules;
use crate::health::snapshot::{DatabaseSnapshot, EnvironmentSnapshot, ServiceSnapshot, Sourced};

/// The snapshot of `env` from what was `observed` at `now`: each source's
/// reading (or its error beside the `previous` reading), each service's and
/// the database's health by the [`rules`], and the worst-of roll-up.
pub fn assemble(
    env: &Environment,
    observed: Observed,
    previous: Option<&EnvironmentSnapshot>,
    now: DateTime<Utc>,
) -> EnvironmentSnapshot {
    let mut by_name: HashMap<String, ObservedService> = observed
        .services
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let services: Vec<ServiceSnapshot> = env
        .services
        .iter()
        .map(|spec| {
            let prev = previous.and_then(|p| p.services.iter().find(|s| s.name == spec.name));
            let obs = by_name.remove(&spec.name).unwrap_or_else(|| {
                ObservedService::new(
                    spec.name.clone(),
                    Err(SourceError::new(
                        Source::Ecs,
                        SourceErrorKind::Other,
                        "not observed",
                    )),
                )
            });
            service_snapshot(obs, prev, now)
        })
        .collect();

    let database = env.database.as_ref().map(|identifier| {
        let prev = previous.and_then(|p| p.database.as_ref()).map(|d| &d.rds);
        let rds = match observed.database {
            Some(Ok(obs)) => Sourced::read(obs, now),
            Some(Err(err)) => Sourced::failed_after(err, prev),
            None => Sourced::failed_after(
                SourceError::new(Source::Rds, SourceErrorKind::Other, "not observed"),
                prev,
            ),
        };
        let health = with_current(&rds, Source::Rds, rules::assess_database);
        DatabaseSnapshot {
            identifier: identifier.clone(),
            health,
            rds,
        }
    });

    let parameters = match observed.parameters {
        Ok(list) => Sourced::read(list, now),
        Err(err) => Sourced::failed_after(err, previous.map(|p| &p.parameters)),
    };

    let overall = rules::roll_up(
        services
            .iter()
            .map(|s| (s.name.as_str(), &s.health.overall))
            .chain(database.iter().map(|d| ("database", &d.health))),
    );
    EnvironmentSnapshot {
        environment: env.name.to_string(),
        polled_at: now,
        overall,
        services,
        database,
        parameters,
    }
}

fn service_snapshot(
    obs: ObservedService,
    prev: Option<&ServiceSnapshot>,
    now: DateTime<Utc>,
) -> ServiceSnapshot {
    let ecs_failed = obs.ecs.is_err();
    let ecs = match obs.ecs {
        Ok(o) => Sourced::read(o, now),
        Err(err) => Sourced::failed_after(err, prev.map(|p| &p.ecs)),
    };
    let targets = match obs.targets {
        Some(Ok(o)) => Some(Sourced::read(o, now)),
        Some(Err(err)) => Some(Sourced::failed_after(
            err,
            prev.and_then(|p| p.targets.as_ref()),
        )),
        // Without ECS the target group is unknown: keep the last reading,
        // marked as not read this time.
        None if ecs_failed => prev.and_then(|p| p.targets.as_ref()).map(|t| {
            Sourced::failed_after(
                SourceError::new(
                    Source::Elbv2,
                    SourceErrorKind::Other,
                    "not read: the ECS service could not be read",
                ),
                Some(t),
            )
        }),
        None => None,
    };
    let alarms = match obs.alarms {
        Some(Ok(list)) => Some(Sourced::read(list, now)),
        Some(Err(err)) => Some(Sourced::failed_after(
            err,
            prev.and_then(|p| p.alarms.as_ref()),
        )),
        None => None,
    };
    let probe = obs.probe.map(|p| Sourced::read(p, now));

    let fallback_ecs = not_read(Source::Ecs);
    let fallback_targets = not_read(Source::Elbv2);
    let fallback_alarms = not_read(Source::Cloudwatch);
    let health = rules::assess_service(
        current(&ecs, &fallback_ecs),
        targets.as_ref().map(|t| current(t, &fallback_targets)),
        alarms
            .as_ref()
            .map(|a| current(a, &fallback_alarms).map(Vec::as_slice)),
        probe.as_ref().and_then(|p| p.data.as_ref()),
    );
    let (image, task_definition, last_deploy_at) = if ecs_failed {
        prev.map(|p| (p.image.clone(), p.task_definition.clone(), p.last_deploy_at))
            .unwrap_or_default()
    } else {
        (obs.image, obs.task_definition, obs.last_deploy_at)
    };
    ServiceSnapshot {
        name: obs.name,
        health,
        ecs,
        targets,
        alarms,
        probe,
        image,
        task_definition,
        last_deploy_at,
    }
}

fn not_read(source: Source) -> SourceError {
    SourceError::new(source, SourceErrorKind::Other, "not read")
}

/// The latest attempt's outcome: the error if it failed, else the data.
fn current<'a, T>(s: &'a Sourced<T>, fallback: &'a SourceError) -> Result<&'a T, &'a SourceError> {
    match (&s.error, &s.data) {
        (Some(err), _) => Err(err),
        (None, Some(data)) => Ok(data),
        (None, None) => Err(fallback),
    }
}

fn with_current<T>(
    s: &Sourced<T>,
    source: Source,
    assess: impl FnOnce(Result<&T, &SourceError>) -> Assessment,
) -> Assessment {
    let fallback = not_read(source);
    assess(current(s, &fallback))
}
