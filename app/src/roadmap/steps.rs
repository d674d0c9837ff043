//! `/roadmap/steps`: the next steps by phase. Everyone reads them; operators
//! and admins mark one done (or not), reword it, move it to another phase,
//! link it to a module, and add new ones. Plain forms: they work without
//! JavaScript.

use super::dto::{StepRow, StepsView};
use crate::components::data::page_data;
use crate::components::form::INPUT;
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading, PageHeader};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

const PHASES: [(&str, &str); 4] = [
    ("immediate", "Immediate"),
    ("short", "Short Term"),
    ("medium", "Medium Term"),
    ("long", "Long Term"),
];

#[server(prefix = "/api", endpoint = "roadmap/steps")]
pub async fn roadmap_steps() -> Result<StepsView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let (steps, roadmap) = gantry_core::roadmap::steps::page(&services.db).await?;
    Ok(StepsView {
        steps: steps
            .into_iter()
            .map(|s| StepRow {
                id: s.id,
                phase: s.step.phase.as_str().to_owned(),
                text: s.step.text,
                completed: s.step.completed,
                module: s.step.module.map(|m| m.to_string()),
            })
            .collect(),
        modules: roadmap
            .modules
            .iter()
            .map(|m| (m.slug.to_string(), m.name.clone()))
            .collect(),
    })
}

/// Adds a next step at the end of its phase (operators and admins).
#[server(prefix = "/api", endpoint = "roadmap/steps/add")]
pub async fn add_roadmap_step(
    phase: String,
    text: String,
    #[server(default)] module: String,
    #[server(default)] completed: Option<String>,
) -> Result<i64, AppError> {
    use gantry_core::auth::Permission;
    let user = crate::auth::require(Permission::EditRoadmap)?;
    let services = crate::services()?;
    let input =
        gantry_core::roadmap::steps::StepInput::parse(&phase, &text, completed.is_some(), &module)?;
    let id = gantry_core::roadmap::steps::add(
        &services.db,
        &crate::auth::actor(&user, Permission::EditRoadmap),
        &input,
        services.clock.now(),
    )
    .await?;
    Ok(id)
}

/// Rewrites next step `id`: done or not, its text, its phase, its module
/// (operators and admins).
#[server(prefix = "/api", endpoint = "roadmap/steps/update")]
pub async fn update_roadmap_step(
    id: i64,
    phase: String,
    text: String,
    #[server(default)] module: String,
    #[server(default)] completed: Option<String>,
) -> Result<(), AppError> {
    use gantry_core::auth::Permission;
    let user = crate::auth::require(Permission::EditRoadmap)?;
    let services = crate::services()?;
    let input =
        gantry_core::roadmap::steps::StepInput::parse(&phase, &text, completed.is_some(), &module)?;
    gantry_core::roadmap::steps::update(
        &services.db,
        &crate::auth::actor(&user, Permission::EditRoadmap),
        id,
        &input,
        services.clock.now(),
    )
    .await?;
    Ok(())
}

#[component]
pub fn StepsPage() -> impl IntoView {
    let add = ServerAction::<AddRoadmapStep>::new();
    let update = ServerAction::<UpdateRoadmapStep>::new();
    let data = page_data(
        move || (add.version().get(), update.version().get()),
        |_| roadmap_steps(),
    );
    let me = use_context::<MeResource>();
    let outcome = move || {
        let failed = add
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| update.value().get().and_then(|r| r.err()));
        failed.map(|e| view! { <p role="alert" data-testid="steps-error" class="mb-3 text-sm text-rose-700">{e.to_string()}</p> })
    };
    view! {
        <Title text="Next steps" />
        <PageHeader
            title="Next steps".to_owned()
            subtitle="The document's next steps by phase; the export writes them back as they are here."
        />
        {outcome}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let can_edit = crate::components::layout::can_edit_roadmap(me).await;
                match data.await {
                    Ok(view) => view! { <Steps view can_edit add update /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn phase_select(name: &'static str, current: &str, label: String) -> impl IntoView {
    let current = current.to_owned();
    view! {
        <label class="text-xs">
            {label}
            <select name=name class=INPUT>
                {PHASES
                    .iter()
                    .map(|(value, title)| view! { <option value=*value selected=*value == current>{*title}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

fn module_select(
    modules: &[(String, String)],
    current: Option<&str>,
    label: String,
) -> impl IntoView {
    let current = current.unwrap_or_default().to_owned();
    view! {
        <label class="text-xs">
            {label}
            <select name="module" class=INPUT>
                <option value="" selected=current.is_empty()>"(no module)"</option>
                {modules
                    .iter()
                    .map(|(slug, name)| view! { <option value=slug.clone() selected=*slug == current>{name.clone()}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn Steps(
    view: StepsView,
    can_edit: bool,
    add: ServerAction<AddRoadmapStep>,
    update: ServerAction<UpdateRoadmapStep>,
) -> impl IntoView {
    let modules = view.modules.clone();
    let sections = PHASES
        .iter()
        .map(|(phase, title)| {
            let steps: Vec<StepRow> = view.steps.iter().filter(|s| s.phase == *phase).cloned().collect();
            let heading = format!("steps-{phase}");
            let labelled_by = heading.clone();
            let modules = modules.clone();
            view! {
                <section data-phase=*phase aria-labelledby=labelled_by class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                    <h2 id=heading class="mb-2 font-semibold">{*title}</h2>
                    <ol class="space-y-3">
                        {steps
                            .into_iter()
                            .enumerate()
                            .map(|(i, step)| {
                                let n = i + 1;
                                let modules = modules.clone();
                                view! {
                                    <li data-step=step.id.to_string() data-completed=step.completed.to_string()>
                                        {if can_edit {
                                            view! {
                                                <ActionForm action=update attr:class="grid gap-2 sm:grid-cols-6 sm:items-end">
                                                    <input type="hidden" name="id" value=step.id.to_string() />
                                                    <label class="text-xs sm:col-span-3">
                                                        {format!("Step {n}")}
                                                        <input name="text" value=step.text.clone() class=INPUT />
                                                    </label>
                                                    {phase_select("phase", &step.phase, format!("Phase of step {n}"))}
                                                    {module_select(&modules, step.module.as_deref(), format!("Module of step {n}"))}
                                                    <div class="flex items-center gap-3">
                                                        <label class="flex items-center gap-1 text-xs">
                                                            <input type="checkbox" name="completed" value="on" checked=step.completed />
                                                            "Done"
                                                        </label>
                                                        <button type="submit" class="rounded-md bg-indigo-600 px-2 py-1 text-xs font-medium text-white hover:bg-indigo-500">
                                                            {format!("Save step {n}")}
                                                        </button>
                                                    </div>
                                                </ActionForm>
                                            }.into_any()
                                        } else {
                                            view! {
                                                <p class="text-sm">
                                                    {if step.completed { "✅ " } else { "" }}
                                                    {step.text.clone()}
                                                    {step.completed.then_some(" (completed)")}
                                                </p>
                                            }.into_any()
                                        }}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                </section>
            }
        })
        .collect_view();
    view! {
        <div data-testid="next-steps" class="grid gap-4 lg:grid-cols-2">{sections}</div>
        {can_edit.then(|| view! {
            <section aria-labelledby="add-step-heading" class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <h2 id="add-step-heading" class="mb-2 font-semibold">"Add a next step"</h2>
                <ActionForm action=add attr:data-testid="add-step" attr:class="grid gap-2 sm:grid-cols-6 sm:items-end">
                    <label class="text-xs sm:col-span-3">
                        "Text"
                        <input name="text" class=INPUT />
                    </label>
                    {phase_select("phase", "immediate", "Phase".to_owned())}
                    {module_select(&modules, None, "Module".to_owned())}
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"Add step"</button>
                </ActionForm>
            </section>
        })}
    }
}
