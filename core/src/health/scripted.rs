//! **Test double** (behind the `testing` feature; release builds never have
//! it): a scripted [`HealthSource`] for what moto cannot simulate.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::model::{Source, SourceError, SourceErrorKind};
use super::snapshot::EnvironmentSnapshot;
use super::source::{assemble, HealthSource, Observed, ObservedService, PARAMETERS_SOURCE};
use crate::environments::model::Environment;

/// **Test double**: a [`HealthSource`] that plays back scripted observations,
/// for what the AWS stand-in (moto) cannot simulate — an ECS rollout
/// progressing, failing, tripping the circuit breaker, tasks failing. Each
/// [`Self::observe`](HealthSource::observe) of an environment takes its next
/// scripted [`Observed`] (the last one repeats once the script runs out) and
/// goes through the same [`assemble`] as [`AwsHealthSource`], so the rules
/// and the snapshots are the real ones. An environment without a script is
/// observed as "not scripted" (Unknown everywhere).
#[derive(Debug, Default)]
pub struct ScriptedHealthSource {
    scripts: Mutex<HashMap<String, Script>>,
    observations: AtomicU64,
}

/// An environment's observations still to play, and the last one played.
type Script = (VecDeque<Observed>, Option<Observed>);

impl ScriptedHealthSource {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `observed` to `environment`'s script.
    pub fn push(&self, environment: &str, observed: Observed) -> &Self {
        self.scripts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(environment.to_owned())
            .or_default()
            .0
            .push_back(observed);
        self
    }

    /// How many times an environment was observed.
    pub fn observations(&self) -> u64 {
        self.observations.load(Ordering::Relaxed)
    }

    fn next(&self, env: &Environment) -> Observed {
        let mut scripts = self.scripts.lock().unwrap_or_else(|e| e.into_inner());
        let (queue, last) = scripts.entry(env.name.to_string()).or_default();
        if let Some(next) = queue.pop_front() {
            *last = Some(next.clone());
            return next;
        }
        last.clone().unwrap_or_else(|| unscripted(env))
    }
}

fn unscripted(env: &Environment) -> Observed {
    let err = |source| SourceError::new(source, SourceErrorKind::Other, "not scripted");
    Observed {
        services: env
            .services
            .iter()
            .map(|s| ObservedService::new(s.name.clone(), Err(err(Source::Ecs))))
            .collect(),
        database: env.database.as_ref().map(|_| Err(err(Source::Rds))),
        parameters: Err(err(PARAMETERS_SOURCE)),
    }
}

impl HealthSource for ScriptedHealthSource {
    fn observe<'a>(
        &'a self,
        env: &'a Environment,
        previous: Option<&'a EnvironmentSnapshot>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, EnvironmentSnapshot> {
        self.observations.fetch_add(1, Ordering::Relaxed);
        let observed = self.next(env);
        Box::pin(async move { assemble(env, observed, previous, now) })
    }
}
