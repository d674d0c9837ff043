//! Environment use cases: what the pages, the config loader and the workers call.
//!
//! Every change validates its input first (an invalid one changes nothing),
//! then writes the environment and its audit record in one transaction.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::model::{EnvName, Environment, EnvironmentInput};
use super::store;
use crate::audit::{AuditedTx, NewAuditEntry};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::Actor;

/// Who the environments created from the config file at start-up are
/// attributed to.
pub const CONFIG_ACTOR: &str = "gantry (config)";

/// What [`seed_from`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Environments of the config that did not exist yet: now created.
    pub created: Vec<EnvName>,
    /// Environments of the config that exist already: left as they are, even
    /// when the config says otherwise (Gantry's copy is edited in Gantry).
    pub existing: Vec<EnvName>,
}

/// Every environment, by name.
pub async fn list(db: &Db) -> CoreResult<Vec<Environment>> {
    store::list(db).await
}

/// One environment, or [`CoreError::NotFound`].
pub async fn get(db: &Db, name: &EnvName) -> CoreResult<Environment> {
    store::get(db, name).await?.ok_or_else(|| not_found(name))
}

/// Creates the environment `input` names, or updates it. Returns it as stored.
///
/// Audited as `environment.create` (after: every setting) or
/// `environment.update` (before/after: the settings that changed). Saving the
/// same settings again writes nothing. An invalid input is refused with
/// [`CoreError::Invalid`] naming each bad field, and changes nothing.
#[tracing::instrument(skip_all, fields(actor = %actor.name, environment = %input.name))]
pub async fn save(db: &Db, actor: &Actor, input: EnvironmentInput) -> CoreResult<Environment> {
    save_with(db, actor, input, false).await
}

/// [`save`] for the admin settings form, which has no freeze windows: an
/// existing environment keeps its stored ones (read in the same transaction),
/// a new one starts with none. Its approver groups must be among
/// `approver_groups` (see [`EnvironmentInput::check_approver_groups`]).
#[tracing::instrument(skip_all, fields(actor = %actor.name, environment = %input.name))]
pub async fn save_settings(
    db: &Db,
    actor: &Actor,
    input: EnvironmentInput,
    approver_groups: &[String],
) -> CoreResult<Environment> {
    input.check_approver_groups(approver_groups)?;
    save_with(db, actor, input, true).await
}

async fn save_with(
    db: &Db,
    actor: &Actor,
    input: EnvironmentInput,
    keep_freeze_windows: bool,
) -> CoreResult<Environment> {
    let mut env = input.validate()?;
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let current = store::get_with(&mut tx, &env.name).await?;
    if keep_freeze_windows {
        env.approval.freeze_windows = current
            .as_ref()
            .map(|c| c.approval.freeze_windows.clone())
            .unwrap_or_default();
    }
    let entry = match &current {
        Some(current) if current.same_settings(&env) => return Ok(current.clone()),
        Some(current) => {
            env.created_at = current.created_at;
            let (before, after) = changed_settings(current, &env);
            let mut entry = audit_entry(actor, "environment.update", &env.name);
            entry.before = Some(before);
            entry.after = Some(after);
            entry
        }
        None => {
            let mut entry = audit_entry(actor, "environment.create", &env.name);
            entry.after = Some(env.settings_json());
            entry
        }
    };
    store::upsert(&mut tx, &env).await?;
    tx.commit_with(&entry).await?;
    tracing::info!(action = %entry.action, "environment saved");
    Ok(env)
}

/// Lets an environment with a time-to-live (a preview) live `hours` longer:
/// its `ttl_hours` grows, up to [`MAX_HOURS`](super::model::MAX_HOURS) after
/// its creation. Audited as `environment.ttl_extended` (before/after: the
/// TTL and the expiry). An environment without a TTL, an extension of 0 or
/// more than the maximum is refused and changes nothing.
#[tracing::instrument(skip_all, fields(actor = %actor.name, environment = %name))]
pub async fn extend_ttl(
    db: &Db,
    actor: &Actor,
    name: &EnvName,
    hours: u32,
    now: DateTime<Utc>,
) -> CoreResult<Environment> {
    use super::model::MAX_HOURS;
    if hours == 0 || hours > MAX_HOURS {
        return Err(CoreError::Invalid(format!(
            "extend by 1 to {MAX_HOURS} hours, not {hours}"
        )));
    }
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let mut env = store::get_with(&mut tx, name)
        .await?
        .ok_or_else(|| not_found(name))?;
    let Some(ttl) = env.ttl_hours else {
        return Err(CoreError::Invalid(format!(
            "environment {name} has no time-to-live to extend"
        )));
    };
    let wanted = ttl.saturating_add(hours);
    if wanted > MAX_HOURS {
        return Err(CoreError::Invalid(format!(
            "environment {name} would live {wanted} hours; at most {MAX_HOURS} hours after its creation are allowed"
        )));
    }
    let before = json!({ "ttl_hours": ttl, "expires_at": env.expires_at() });
    env.ttl_hours = Some(wanted);
    env.updated_at = now;
    let mut entry = audit_entry(actor, "environment.ttl_extended", &env.name);
    entry.before = Some(before);
    entry.after = Some(json!({ "ttl_hours": wanted, "expires_at": env.expires_at() }));
    store::upsert(&mut tx, &env).await?;
    tx.commit_with(&entry).await?;
    Ok(env)
}

/// Deletes a non-production environment (audited as `environment.delete`,
/// before: its settings) and returns what it was. Production environments are
/// never deleted from Gantry.
#[tracing::instrument(skip_all, fields(actor = %actor.name, environment = %name))]
pub async fn delete(db: &Db, actor: &Actor, name: &EnvName) -> CoreResult<Environment> {
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let current = store::get_with(&mut tx, name)
        .await?
        .ok_or_else(|| not_found(name))?;
    if current.production {
        return Err(CoreError::Invalid(format!(
            "environment {:?} is a production environment and cannot be deleted",
            name.as_str()
        )));
    }
    store::delete(&mut tx, name).await?;
    let mut entry = audit_entry(actor, "environment.delete", name);
    entry.before = Some(current.settings_json());
    tx.commit_with(&entry).await?;
    tracing::info!("environment deleted");
    Ok(current)
}

/// Creates the environments of the config (`[[environments]]`) that do not
/// exist yet, audited as `environment.create` by [`CONFIG_ACTOR`]; existing
/// ones are left alone, so starting again changes nothing.
///
/// Every spec is validated first: one invalid spec, or a name given twice,
/// refuses the whole set (naming each problem) and creates nothing.
#[tracing::instrument(skip_all, fields(specs = specs.len()))]
pub async fn seed_from(db: &Db, specs: &[EnvironmentInput]) -> CoreResult<SeedReport> {
    let mut problems = Vec::new();
    let mut wanted: Vec<Environment> = Vec::new();
    for spec in specs {
        match spec.validate() {
            Ok(env) if wanted.iter().any(|w| w.name == env.name) => {
                problems.push(format!("environments.{}: defined more than once", env.name));
            }
            Ok(env) => wanted.push(env),
            Err(CoreError::Invalid(message)) => problems.push(message),
            Err(other) => return Err(other),
        }
    }
    if !problems.is_empty() {
        return Err(CoreError::Invalid(problems.join("; ")));
    }

    let actor = config_actor();
    let mut report = SeedReport::default();
    let mut tx = AuditedTx::begin_serialized(db).await?;
    for env in &wanted {
        if let Some(stored) = store::get_with(&mut tx, &env.name).await? {
            if !stored.same_settings(env) {
                tracing::info!(
                    environment = %env.name,
                    "the config's settings differ from the stored environment's; keeping the stored ones"
                );
            }
            report.existing.push(env.name.clone());
            continue;
        }
        store::upsert(&mut tx, env).await?;
        let mut entry = audit_entry(&actor, "environment.create", &env.name);
        entry.after = Some(env.settings_json());
        tx.record(&entry).await?;
        report.created.push(env.name.clone());
    }
    tx.commit_if_recorded().await?;
    if !report.created.is_empty() {
        tracing::info!(created = ?report.created, "environments created from the config");
    }
    Ok(report)
}

/// Environments whose TTL ran out at or before `now` (preview environments,
/// and any other with a `ttl_hours`), soonest-expired first: the ones to tear
/// down.
pub async fn expired_previews(db: &Db, now: DateTime<Utc>) -> CoreResult<Vec<Environment>> {
    store::expired(db, now).await
}

fn config_actor() -> Actor {
    Actor {
        name: CONFIG_ACTOR.to_owned(),
        role: None,
        request_id: None,
        source: "config".to_owned(),
        subject: None,
    }
}

fn not_found(name: &EnvName) -> CoreError {
    CoreError::NotFound(format!("environment {:?}", name.as_str()))
}

fn audit_entry(actor: &Actor, action: &str, name: &EnvName) -> NewAuditEntry {
    let mut entry = NewAuditEntry::new(actor.name.clone(), action, format!("environment:{name}"));
    entry.role = actor.role.clone();
    entry.request_id = actor.request_id.clone();
    entry
}

/// `{setting: value}` before and after, for the settings that differ.
fn changed_settings(before: &Environment, after: &Environment) -> (Value, Value) {
    let old = before.settings_json();
    let new = after.settings_json();
    let (mut from, mut to) = (Map::new(), Map::new());
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    for key in old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)))
    {
        let (a, b) = (old.get(key), new.get(key));
        if a != b {
            from.insert(key.clone(), a.cloned().unwrap_or(json!(null)));
            to.insert(key.clone(), b.cloned().unwrap_or(json!(null)));
        }
    }
    (from.into(), to.into())
}
