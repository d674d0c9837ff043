//! The document keeps itself current: what realises a module in AWS (an ECS
//! service, an SSM parameter prefix), edited on the module's page, and the
//! hook a succeeded job calls, in its own transaction, to mark the modules it
//! realised as deployed in its environment — recorded in their history as
//! "job #N".

use chrono::{DateTime, Utc};
use std::fmt;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use super::model::{ModuleSlug, ModuleStatus};
use super::store;
use crate::audit::AuditedTx;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::Actor;

/// At most this many realisers a module.
pub const MAX_REALISERS: usize = 20;

/// One thing in AWS that realises a module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Realiser {
    /// An ECS service, by name.
    EcsService(String),
    /// Parameters under an SSM prefix (`/backend-booking/prod/`).
    SsmPrefix(String),
}

impl Realiser {
    /// `ecs:<service>` or `ssm:/prefix/`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(service) = raw.strip_prefix("ecs:") {
            let service = service.trim();
            let ok = (1..=255).contains(&service.len())
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            return if ok {
                Ok(Realiser::EcsService(service.to_owned()))
            } else {
                Err(format!(
                    "{raw:?}: an ECS service name is 1 to 255 letters, digits, '-' or '_'"
                ))
            };
        }
        if let Some(prefix) = raw.strip_prefix("ssm:") {
            let prefix = prefix.trim();
            let ok = prefix.starts_with('/')
                && prefix.len() <= 512
                && prefix.len() > 1
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c));
            return if ok {
                Ok(Realiser::SsmPrefix(prefix.to_owned()))
            } else {
                Err(format!(
                    "{raw:?}: an SSM prefix starts with '/' and has letters, digits, '/', '_', '.' or '-'"
                ))
            };
        }
        Err(format!(
            "{raw:?}: write ecs:<service name> or ssm:/parameter/prefix/"
        ))
    }

    /// Every line of `text` (blank lines skipped), each problem named once
    /// with its line; duplicates refused.
    pub fn parse_lines(text: &str) -> CoreResult<Vec<Self>> {
        let mut found: Vec<Self> = Vec::new();
        let mut problems = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match Self::parse(line) {
                Ok(r) if found.contains(&r) => {
                    problems.push(format!("line {}: {r} is listed twice", i + 1))
                }
                Ok(r) => found.push(r),
                Err(m) => problems.push(format!("line {}: {m}", i + 1)),
            }
        }
        if found.len() > MAX_REALISERS {
            problems.push(format!("at most {MAX_REALISERS} realisers a module"));
        }
        if problems.is_empty() {
            found.sort();
            Ok(found)
        } else {
            Err(CoreError::Invalid(problems.join("; ")))
        }
    }
}

impl fmt::Display for Realiser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Realiser::EcsService(s) => write!(f, "ecs:{s}"),
            Realiser::SsmPrefix(p) => write!(f, "ssm:{p}"),
        }
    }
}

/// What a job changed that can realise a module (the jobs area reads it
/// from a succeeded job's plan: `jobs::store::lease`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobTouched {
    pub services: Vec<String>,
    /// SSM parameter names the job wrote.
    pub parameters: Vec<String>,
}

impl JobTouched {
    fn realises(&self, realiser: &Realiser) -> bool {
        match realiser {
            Realiser::EcsService(s) => self.services.iter().any(|x| x == s),
            Realiser::SsmPrefix(p) => self.parameters.iter().any(|n| n.starts_with(p.as_str())),
        }
    }
}

/// A module's realisers.
pub async fn of_module(db: &Db, slug: &ModuleSlug) -> CoreResult<Vec<Realiser>> {
    let rows = sqlx::query(
        "SELECT realiser FROM roadmap_module_realisers WHERE module_slug = $1 ORDER BY realiser",
    )
    .bind(slug.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let raw: String = r.try_get("realiser")?;
            Realiser::parse(&raw).map_err(CoreError::Corrupt)
        })
        .collect()
}

/// Replaces module `slug`'s realisers with the lines of `text`; audited as
/// `roadmap.module.realisers`. Unknown module: not found; a bad line: every
/// problem named, nothing changed.
pub async fn set(
    db: &Db,
    actor: &Actor,
    slug: &ModuleSlug,
    text: &str,
) -> CoreResult<Vec<Realiser>> {
    let realisers = Realiser::parse_lines(text)?;
    let mut tx = AuditedTx::begin_serialized(db).await?;
    store::load_module_with(&mut tx, slug)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("module {:?}", slug.as_str())))?;
    let before: Vec<String> = sqlx::query(
        "SELECT realiser FROM roadmap_module_realisers WHERE module_slug = $1 ORDER BY realiser",
    )
    .bind(slug.as_str())
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("realiser"))
    .collect::<Result<_, _>>()?;
    let after: Vec<String> = realisers.iter().map(ToString::to_string).collect();
    if before == after {
        return Ok(realisers);
    }
    sqlx::query("DELETE FROM roadmap_module_realisers WHERE module_slug = $1")
        .bind(slug.as_str())
        .execute(&mut *tx)
        .await?;
    for r in &after {
        sqlx::query("INSERT INTO roadmap_module_realisers (module_slug, realiser) VALUES ($1, $2)")
            .bind(slug.as_str())
            .bind(r)
            .execute(&mut *tx)
            .await?;
    }
    let mut entry = actor.audit("roadmap.module.realisers", format!("module:{slug}"));
    entry.before = Some(serde_json::json!(before));
    entry.after = Some(serde_json::json!(after));
    tx.commit_with(&entry).await?;
    Ok(realisers)
}

/// In a succeeded job's transaction: marks deployed in `environment` every
/// module one of whose realisers `touched` realises, unless it is deployed
/// or retired there already (or the roadmap does not track `environment`).
/// Each change is a history row by "gantry", source `job #<id>`. Returns the
/// modules changed.
pub(crate) async fn apply_job(
    conn: &mut AnyConnection,
    job: i64,
    environment: &str,
    touched: &JobTouched,
    now: DateTime<Utc>,
) -> CoreResult<Vec<ModuleSlug>> {
    let source = format!("job #{job}");
    let stamp = store::Stamp::new("gantry", &source, now);
    let rows = sqlx::query("SELECT module_slug, realiser FROM roadmap_module_realisers")
        .fetch_all(&mut *conn)
        .await?;
    let mut hit: Vec<ModuleSlug> = Vec::new();
    for row in rows {
        let slug: String = row.try_get("module_slug")?;
        let raw: String = row.try_get("realiser")?;
        let Ok(realiser) = Realiser::parse(&raw) else {
            continue;
        };
        let Ok(slug) = ModuleSlug::parse(&slug) else {
            continue;
        };
        if touched.realises(&realiser) && !hit.contains(&slug) {
            hit.push(slug);
        }
    }
    let mut changed = Vec::new();
    for slug in hit {
        let Some(current) = store::load_module_with(&mut *conn, &slug).await? else {
            continue;
        };
        let Some((env, status)) = current
            .statuses
            .iter()
            .find(|(env, _)| env.as_str() == environment)
            .map(|(e, s)| (e.clone(), *s))
        else {
            continue;
        };
        if matches!(status, ModuleStatus::Deployed | ModuleStatus::Retired) {
            continue;
        }
        let mut updated = current.clone();
        updated.statuses.insert(env, ModuleStatus::Deployed);
        let changes = store::diff(&current, &updated);
        store::write_change(&mut *conn, &updated, &changes, &stamp).await?;
        changed.push(slug);
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realisers_parse_and_refuse_each_problem_once() {
        assert_eq!(
            Realiser::parse(" ecs:backend-booking-api "),
            Ok(Realiser::EcsService("backend-booking-api".into()))
        );
        assert_eq!(
            Realiser::parse("ssm:/backend-booking/prod/"),
            Ok(Realiser::SsmPrefix("/backend-booking/prod/".into()))
        );
        for bad in ["ecs:", "ecs:a b", "ssm:relative/", "ssm:/", "s3:bucket", ""] {
            assert!(Realiser::parse(bad).is_err(), "{bad:?}");
        }
        let err = Realiser::parse_lines("ecs:api\n\nnonsense\necs:api\nssm:x")
            .unwrap_err()
            .public_message();
        assert_eq!(err.matches("line 3").count(), 1, "{err}");
        assert!(err.contains("line 4: ecs:api is listed twice"), "{err}");
        assert!(err.contains("line 5:"), "{err}");
        assert_eq!(
            Realiser::parse_lines("ssm:/a/\necs:web\n").unwrap(),
            vec![
                Realiser::EcsService("web".into()),
                Realiser::SsmPrefix("/a/".into())
            ]
        );
    }

    #[test]
    fn a_job_realises_the_services_and_prefixes_it_touched() {
        let touched = JobTouched {
            services: vec!["api".into()],
            parameters: vec!["/booking/prod/FLAG".into()],
        };
        assert!(touched.realises(&Realiser::EcsService("api".into())));
        assert!(!touched.realises(&Realiser::EcsService("worker".into())));
        assert!(touched.realises(&Realiser::SsmPrefix("/booking/prod/".into())));
        assert!(!touched.realises(&Realiser::SsmPrefix("/booking/dev/".into())));
    }
}
