//! Roadmap editing (operators and admins): the edit panel on a module's page,
//! the add-module form on the matrix, and their server functions.

use std::collections::HashMap;

use gantry_wire::{ModuleStatus, Phase, PriorityLevel};
use leptos::prelude::*;

use super::dto::{phase_label, ModuleDetail};
use crate::components::form::INPUT;
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "roadmap/module/update")]
pub async fn update_roadmap_module(
    slug: String,
    status: HashMap<String, String>,
    priority: HashMap<String, String>,
    phase: String,
    owner: String,
    target_date: String,
    notes: String,
) -> Result<(), AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::EditRoadmap)?;
    let services = crate::services()?;
    let slug = parse::slug(&slug)?;
    let edit = parse::edit(status, priority, &phase, owner, target_date, notes)?;
    gantry_core::roadmap::edit::update_module(
        &services.db,
        &services.roadmap.environments,
        &crate::auth::actor(&user, gantry_core::auth::Permission::EditRoadmap),
        &slug,
        edit,
        services.clock.now(),
    )
    .await?;
    Ok(())
}

/// Sets what realises module `slug` in AWS (`ecs:<service>` or
/// `ssm:/prefix/`, one per line): a succeeded provision or deploy job that
/// changes one marks the module deployed in its environment.
#[server(prefix = "/api", endpoint = "roadmap/module/realisers")]
pub async fn set_roadmap_realisers(slug: String, realisers: String) -> Result<(), AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::EditRoadmap)?;
    let services = crate::services()?;
    let slug = parse::slug(&slug)?;
    gantry_core::roadmap::realise::set(
        &services.db,
        &crate::auth::actor(&user, gantry_core::auth::Permission::EditRoadmap),
        &slug,
        &realisers,
    )
    .await?;
    Ok(())
}

/// Corrects module `slug` in `environment` to what AWS shows, when the
/// latest health poll still disagrees with the roadmap (operators and
/// admins; never applied without this request).
#[server(prefix = "/api", endpoint = "roadmap/module/correct")]
pub async fn correct_roadmap_drift(slug: String, environment: String) -> Result<(), AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::EditRoadmap)?;
    let services = crate::services()?;
    let slug = parse::slug(&slug)?;
    gantry_core::compose::roadmap::correct_drift(
        &services.db,
        &crate::auth::actor(&user, gantry_core::auth::Permission::EditRoadmap),
        &slug,
        &environment,
        services.clock.now(),
    )
    .await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "roadmap/module/add")]
pub async fn add_roadmap_module(
    name: String,
    section: String,
    path: String,
    purpose: String,
    priority: String,
) -> Result<String, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::EditRoadmap)?;
    let services = crate::services()?;
    let new = parse::new_module(name, &section, path, purpose, &priority)?;
    let module = gantry_core::roadmap::edit::add_module(
        &services.db,
        &services.roadmap.environments,
        &crate::auth::actor(&user, gantry_core::auth::Permission::EditRoadmap),
        new,
        services.clock.now(),
    )
    .await?;
    Ok(module.slug.to_string())
}

#[server(prefix = "/api", endpoint = "roadmap/module/retire")]
pub async fn retire_roadmap_module(slug: String) -> Result<(), AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::EditRoadmap)?;
    let services = crate::services()?;
    let slug = parse::slug(&slug)?;
    gantry_core::roadmap::edit::retire_module(
        &services.db,
        &crate::auth::actor(&user, gantry_core::auth::Permission::EditRoadmap),
        &slug,
        services.clock.now(),
    )
    .await?;
    Ok(())
}

/// Form fields → typed domain values, with a precise message per bad field.
#[cfg(feature = "ssr")]
mod parse {
    use std::collections::{BTreeMap, HashMap};

    use gantry_core::roadmap::edit::{ModuleEdit, NewModule};
    use gantry_core::roadmap::model::{
        ModuleSlug, ModuleStatus, Phase, Priority, PriorityLevel, Section,
    };
    use gantry_core::shared::EnvName;

    use crate::error::AppError;

    fn invalid(message: String) -> AppError {
        AppError::invalid(message)
    }

    pub fn slug(raw: &str) -> Result<ModuleSlug, AppError> {
        ModuleSlug::parse(raw).map_err(|_| AppError::not_found(format!("module {raw:?}")))
    }

    fn optional(text: String) -> Option<String> {
        let t = text.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }

    fn level(raw: &str, field: &str) -> Result<Option<PriorityLevel>, AppError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        PriorityLevel::parse(raw)
            .map(Some)
            .map_err(|_| invalid(format!("{field}: {raw:?} is not low, medium or high")))
    }

    pub fn edit(
        status: HashMap<String, String>,
        priority: HashMap<String, String>,
        phase: &str,
        owner: String,
        target_date: String,
        notes: String,
    ) -> Result<ModuleEdit, AppError> {
        let mut statuses = BTreeMap::new();
        for (env, value) in status {
            let env = EnvName::parse(&env).map_err(invalid)?;
            let value = ModuleStatus::parse(&value)
                .map_err(|_| invalid(format!("status for {env}: {value:?} is not a status")))?;
            statuses.insert(env, value);
        }
        let mut parsed = Priority::default();
        for (key, value) in priority {
            if key == "default" {
                parsed.default = level(&value, "priority")?;
            } else {
                let env = EnvName::parse(&key).map_err(invalid)?;
                if let Some(l) = level(&value, &format!("priority for {env}"))? {
                    parsed.per_env.insert(env, l);
                }
            }
        }
        let phase = match phase.trim() {
            "" | "none" => None,
            other => Some(
                Phase::parse(other)
                    .map_err(|_| invalid(format!("phase: {other:?} is not a phase")))?,
            ),
        };
        Ok(ModuleEdit {
            statuses,
            priority: parsed,
            phase,
            owner: optional(owner),
            target_date: optional(target_date),
            notes: optional(notes),
        })
    }

    pub fn new_module(
        name: String,
        section: &str,
        path: String,
        purpose: String,
        priority: &str,
    ) -> Result<NewModule, AppError> {
        Ok(NewModule {
            name,
            section: Section::parse(section).map_err(|_| {
                invalid(format!(
                    "stage: {section:?} is not implemented, ready or future"
                ))
            })?,
            path: optional(path),
            purpose: optional(purpose),
            priority: level(priority, "priority")?,
        })
    }
}

/// The edit panel of a module's page. The actions belong to the page, whose
/// data refreshes when they complete.
/// The options of a priority select: none (`none_label`), then each level.
fn level_options(current: Option<PriorityLevel>, none_label: &'static str) -> impl IntoView {
    let none = view! { <option value="" selected=current.is_none()>{none_label}</option> };
    let levels = PriorityLevel::ALL
        .iter()
        .map(|&level| {
            view! { <option value=level.as_str() selected=current == Some(level)>{level.as_str()}</option> }
        })
        .collect_view();
    (none, levels)
}

#[component]
pub fn EditPanel(
    module: ModuleDetail,
    update: ServerAction<UpdateRoadmapModule>,
    retire: ServerAction<RetireRoadmapModule>,
) -> impl IntoView {
    let environments: Vec<String> = module
        .statuses
        .iter()
        .map(|s| s.environment.clone())
        .collect();
    let result = move || {
        update.value().get().map(|r| match r {
            Ok(()) => {
                view! { <p role="status" class="text-sm text-emerald-700">"Saved."</p> }.into_any()
            }
            Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }
                .into_any(),
        })
    };
    let status_selects = module
        .statuses
        .iter()
        .map(|cell| {
            let env = cell.environment.clone();
            let current = cell.status;
            view! {
                <label class="text-sm">
                    {format!("Status in {env}")}
                    <select name=format!("status[{env}]") class=INPUT>
                        {ModuleStatus::ALL
                            .iter()
                            .map(|&s| view! { <option value=s.as_str() selected=current == s>{s.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
            }
        })
        .collect_view();
    let default_priority = module.priority.default;
    let env_priority_selects = environments
        .iter()
        .map(|env| {
            let current = module
                .priority
                .per_env
                .iter()
                .find(|(e, _)| e == env)
                .map(|(_, l)| *l);
            view! {
                <label class="text-sm">
                    {format!("Priority in {env}")}
                    <select name=format!("priority[{env}]") class=INPUT>
                        {level_options(current, "as default")}
                    </select>
                </label>
            }
        })
        .collect_view();
    let phase = module.phase;
    let slug = module.slug.clone();
    let retire_slug = module.slug.clone();
    view! {
        <section class="rounded-lg border border-indigo-200 bg-white p-4 shadow-sm" aria-labelledby="edit-heading">
            <h2 id="edit-heading" class="mb-3 font-semibold">"Edit"</h2>
            <ActionForm action=update attr:data-testid="edit-module">
                <input type="hidden" name="slug" value=slug />
                <div class="grid gap-3 sm:grid-cols-2">
                    {status_selects}
                    <label class="text-sm">
                        "Priority"
                        <select name="priority[default]" class=INPUT>
                            {level_options(default_priority, "—")}
                        </select>
                    </label>
                    {env_priority_selects}
                    <label class="text-sm">
                        "Phase"
                        <select name="phase" class=INPUT>
                            <option value="none" selected=phase.is_none()>"—"</option>
                            {Phase::ALL
                                .iter()
                                .map(|&p| view! { <option value=p.as_str() selected=phase == Some(p)>{phase_label(p)}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="text-sm">
                        "Owner"
                        <input name="owner" maxlength="100" value=module.owner.clone().unwrap_or_default() class=INPUT />
                    </label>
                    <label class="text-sm">
                        "Target date"
                        <input name="target_date" type="date" value=module.target_date.clone().unwrap_or_default() class=INPUT />
                    </label>
                    <label class="text-sm sm:col-span-2">
                        "Notes"
                        <textarea name="notes" rows="3" maxlength="4000" class=INPUT>{module.notes.clone().unwrap_or_default()}</textarea>
                    </label>
                </div>
                <div class="mt-3 flex items-center gap-3">
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                        "Save changes"
                    </button>
                    {result}
                </div>
            </ActionForm>
            <ActionForm action=retire attr:class="mt-4 border-t border-slate-100 pt-3">
                <input type="hidden" name="slug" value=retire_slug />
                <button type="submit" class="text-sm text-rose-700 underline">"Retire this module everywhere"</button>
            </ActionForm>
        </section>
    }
}

/// The "realised in AWS by" form of a module's page (operators and admins).
#[component]
pub fn RealisersForm(
    slug: String,
    realisers: Vec<String>,
    action: ServerAction<SetRoadmapRealisers>,
) -> impl IntoView {
    let result = move || {
        action.value().get().map(|r| match r {
            Ok(()) => {
                view! { <p role="status" class="text-sm text-emerald-700">"Saved."</p> }.into_any()
            }
            Err(e) => view! { <p role="alert" data-testid="realisers-error" class="text-sm text-rose-700">{e.to_string()}</p> }
                .into_any(),
        })
    };
    view! {
        <ActionForm action attr:data-testid="realisers-form" attr:class="mt-3">
            <input type="hidden" name="slug" value=slug />
            <label class="text-sm">
                "Realised by (one per line: ecs:<service> or ssm:/prefix/)"
                <textarea name="realisers" rows="3" class=INPUT>{realisers.join("\n")}</textarea>
            </label>
            <button type="submit" class="mt-2 rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                "Save realisers"
            </button>
            {result}
        </ActionForm>
    }
}
