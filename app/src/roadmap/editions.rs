//! `/roadmap/history`: the editions of the status document imported so far
//! (newest first: the date each carries, who imported it, what it changed,
//! what was merged), a comparison of any two (by default the two newest),
//! and, for operators and admins, importing a new edition by pasting it.
//! Plain forms: they work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::dto::{EditionDiffView, EditionRow, EditionsView, ImportOutcome};
use crate::components::data::page_data;
use crate::components::form::INPUT;
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading, PageHeader};
use crate::error::AppError;

/// The largest document the page accepts (the seed is 7 KB).
#[cfg(feature = "ssr")]
const MAX_DOCUMENT: usize = 512 * 1024;

/// An edition number from the query; empty is none.
#[cfg(feature = "ssr")]
fn edition_number(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| AppError::invalid(format!("{field}: {raw:?} is not an edition number")))
}

/// The editions and the comparison of `from` → `to` (both or neither).
#[server(prefix = "/api", endpoint = "roadmap/history")]
pub async fn roadmap_history(
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<EditionsView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let pair = match (edition_number("from", &from)?, edition_number("to", &to)?) {
        (Some(from), Some(to)) => Some((from, to)),
        (None, None) => None,
        _ => {
            return Err(AppError::invalid(
                "choose two editions to compare (from and to)".to_owned(),
            ))
        }
    };
    let (editions, diff, pair) = gantry_core::roadmap::editions::overview(
        &services.db,
        &services.roadmap.environments,
        pair,
    )
    .await?;
    Ok(EditionsView {
        editions: editions
            .into_iter()
            .map(|e| EditionRow {
                id: e.id,
                dated: match (&e.label, &e.dated) {
                    (Some(label), Some(date)) => format!("{label} ({date})"),
                    _ => "no date".to_owned(),
                },
                summary: e.summary.to_string(),
                source: e.source,
                actor: e.actor,
                imported_at: e.imported_at,
                forced: e.forced,
                warnings: e.warnings,
            })
            .collect(),
        diff: diff.zip(pair).map(|(d, (from, to))| EditionDiffView {
            from,
            to,
            added: d.added,
            removed: d.removed,
            changed: d
                .changed
                .into_iter()
                .map(|c| super::dto::ModuleChangesRow {
                    name: c.name,
                    fields: c
                        .fields
                        .into_iter()
                        .map(|(field, from, to)| {
                            (field, from.unwrap_or_default(), to.unwrap_or_default())
                        })
                        .collect(),
                })
                .collect(),
            steps_added: d.steps_added,
            steps_removed: d.steps_removed,
            steps_ticked: d.steps_ticked,
        }),
    })
}

/// Imports a pasted edition of the status document (operators and admins):
/// merged twins are warnings (`strict` refuses them), an older edition is
/// refused unless `force`d.
#[server(prefix = "/api", endpoint = "roadmap/import")]
pub async fn import_roadmap_edition(
    document: String,
    #[server(default)] name: String,
    #[server(default)] strict: Option<String>,
    #[server(default)] force: Option<String>,
) -> Result<ImportOutcome, AppError> {
    use gantry_core::auth::Permission;
    let user = crate::auth::require(Permission::EditRoadmap)?;
    let services = crate::services()?;
    if document.trim().is_empty() {
        return Err(AppError::invalid(
            "document: paste the markdown of an edition".to_owned(),
        ));
    }
    if document.len() > MAX_DOCUMENT {
        return Err(AppError::invalid(format!(
            "document: {} KB is more than the {} KB a status document may have",
            document.len() / 1024,
            MAX_DOCUMENT / 1024
        )));
    }
    let name = name.trim();
    if name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name: at most 120 characters, on one line".to_owned(),
        ));
    }
    let mut actor = crate::auth::actor(&user, Permission::EditRoadmap);
    actor.source = format!(
        "import: {} (ui)",
        if name.is_empty() {
            "pasted document"
        } else {
            name
        }
    );
    let mode = gantry_core::roadmap::service::ImportMode {
        strict: strict.is_some(),
        force: force.is_some(),
    };
    let report = gantry_core::roadmap::service::import_markdown(
        &services.db,
        &services.roadmap,
        &document,
        &actor,
        mode,
        services.clock.now(),
    )
    .await?;
    // The page says what the import did, from the stored edition (with or
    // without JavaScript).
    leptos_axum::redirect(&format!("/roadmap/history?imported={}", report.edition));
    Ok(ImportOutcome {
        edition: report.edition,
        summary: report.summary().to_string(),
        warnings: report.warnings,
    })
}

#[component]
pub fn EditionsPage() -> impl IntoView {
    let query = use_query_map();
    let import = ServerAction::<ImportRoadmapEdition>::new();
    let data = page_data(
        move || {
            let q = query.get();
            (
                q.get("from").unwrap_or_default(),
                q.get("to").unwrap_or_default(),
                import.version().get(),
            )
        },
        |(from, to, _)| roadmap_history(from, to),
    );
    let me = use_context::<MeResource>();
    view! {
        <Title text="Document editions" />
        <PageHeader
            title="Document editions".to_owned()
            subtitle="Every imported edition of the status document, what it changed, and what differs between two."
        />
        <Refusal import />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let can_edit = crate::components::layout::can_edit_roadmap(me).await;
                let imported = query.get_untracked().get("imported").and_then(|n| n.parse::<i64>().ok());
                match data.await {
                    Ok(view) => view! { <EditionList view imported can_edit import /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Why the last import was refused (a hydrated page; without JavaScript
/// the server answers the refusal as a page of its own).
#[component]
fn Refusal(import: ServerAction<ImportRoadmapEdition>) -> impl IntoView {
    move || {
        import.value().get().and_then(Result::err).map(|e| {
            view! { <p role="alert" data-testid="import-error" class="mb-4 text-sm text-rose-700">{e.to_string()}</p> }
        })
    }
}

/// What importing edition `edition` did, as stored.
#[component]
fn Imported(edition: EditionRow) -> impl IntoView {
    view! {
        <div role="status" data-testid="import-outcome" class="mb-4 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900">
            <p>{format!("Imported as edition #{}: {}.", edition.id, edition.summary)}</p>
            {(!edition.warnings.is_empty()).then(|| view! {
                <ul class="mt-2 list-disc pl-5">
                    {edition.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}

#[component]
fn EditionList(
    view: EditionsView,
    imported: Option<i64>,
    can_edit: bool,
    import: ServerAction<ImportRoadmapEdition>,
) -> impl IntoView {
    let (from, to) = view.diff.as_ref().map_or((0, 0), |d| (d.from, d.to));
    let editions = view.editions;
    let outcome = imported
        .and_then(|id| editions.iter().find(|e| e.id == id).cloned())
        .map(|edition| view! { <Imported edition /> });
    let options = |selected: i64| {
        editions
            .iter()
            .map(|e| {
                let label = format!("#{} · {}", e.id, e.dated);
                view! { <option value=e.id.to_string() selected=e.id == selected>{label}</option> }
            })
            .collect_view()
    };
    let (from_options, to_options) = (options(from), options(to));
    let empty = editions.is_empty();
    view! {
        {outcome}
        <section aria-labelledby="editions-heading" class="mb-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="editions-heading" class="mb-2 font-semibold">"Editions"</h2>
            {empty.then(|| view! { <p class="text-sm text-slate-700">"No edition imported yet."</p> })}
            <table data-testid="editions" class="w-full text-left text-sm">
                <thead>
                    <tr class="border-b border-slate-200 text-xs text-slate-700">
                        <th scope="col" class="py-1 pr-3">"Edition"</th>
                        <th scope="col" class="py-1 pr-3">"Dated"</th>
                        <th scope="col" class="py-1 pr-3">"Imported"</th>
                        <th scope="col" class="py-1 pr-3">"Source"</th>
                        <th scope="col" class="py-1 pr-3">"Changes"</th>
                        <th scope="col" class="py-1">"Merged or matched"</th>
                    </tr>
                </thead>
                <tbody>
                    {editions.into_iter().map(|e| view! { <EditionLine edition=e /> }).collect_view()}
                </tbody>
            </table>
        </section>
        <section aria-labelledby="compare-heading" class="mb-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="compare-heading" class="mb-2 font-semibold">"Compare two editions"</h2>
            <leptos_router::components::Form method="GET" action="" attr:data-testid="compare" attr:class="mb-3 grid gap-3 sm:grid-cols-3 sm:items-end">
                <label class="text-sm">"From" <select name="from" class=INPUT>{from_options}</select></label>
                <label class="text-sm">"To" <select name="to" class=INPUT>{to_options}</select></label>
                <div>
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"Compare"</button>
                </div>
            </leptos_router::components::Form>
            {match view.diff {
                Some(diff) => view! { <Diff diff /> }.into_any(),
                None => view! { <p class="text-sm text-slate-700">"Two editions are needed to compare."</p> }.into_any(),
            }}
        </section>
        {can_edit.then(|| view! { <ImportForm import /> })}
    }
}

#[component]
fn EditionLine(edition: EditionRow) -> impl IntoView {
    view! {
        <tr data-edition=edition.id.to_string() class="border-b border-slate-100 align-top">
            <td class="py-1 pr-3 font-medium">
                {format!("#{}", edition.id)}
                {edition.forced.then(|| view! { <span class="ml-1 rounded bg-amber-100 px-1 text-xs text-amber-900">"forced"</span> })}
            </td>
            <td class="py-1 pr-3">{edition.dated}</td>
            <td class="py-1 pr-3">{format!("{} by {}", edition.imported_at, edition.actor)}</td>
            <td class="py-1 pr-3">{edition.source}</td>
            <td class="py-1 pr-3">{edition.summary}</td>
            <td class="py-1">
                {if edition.warnings.is_empty() {
                    view! { "—" }.into_any()
                } else {
                    view! {
                        <ul class="list-disc pl-4 text-xs">
                            {edition.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }}
            </td>
        </tr>
    }
}

/// A list under a heading, or nothing when empty.
fn listed(testid: &'static str, title: &'static str, items: Vec<String>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <h3 class="mt-3 text-sm font-semibold">{title}</h3>
            <ul data-testid=testid class="list-disc pl-5 text-sm">
                {items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn Diff(diff: EditionDiffView) -> impl IntoView {
    let same = diff.added.is_empty()
        && diff.removed.is_empty()
        && diff.changed.is_empty()
        && diff.steps_added.is_empty()
        && diff.steps_removed.is_empty()
        && diff.steps_ticked.is_empty();
    view! {
        <div data-testid="edition-diff">
            <p class="text-sm font-medium">{format!("From edition #{} to edition #{}", diff.from, diff.to)}</p>
            {same.then(|| view! { <p class="text-sm text-slate-700">"No difference."</p> })}
            {listed("diff-added", "Modules added", diff.added)}
            {listed("diff-removed", "Modules no longer listed", diff.removed)}
            {(!diff.changed.is_empty()).then(|| view! {
                <h3 class="mt-3 text-sm font-semibold">"Modules changed"</h3>
                <table data-testid="diff-changed" class="w-full text-left text-sm">
                    <thead>
                        <tr class="border-b border-slate-200 text-xs text-slate-700">
                            <th scope="col" class="py-1 pr-3">"Module"</th>
                            <th scope="col" class="py-1 pr-3">"Field"</th>
                            <th scope="col" class="py-1 pr-3">"From"</th>
                            <th scope="col" class="py-1">"To"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {diff.changed.into_iter().flat_map(|c| {
                            let name = c.name;
                            c.fields.into_iter().map(move |(field, from, to)| view! {
                                <tr class="border-b border-slate-100 align-top">
                                    <td class="py-1 pr-3">{name.clone()}</td>
                                    <td class="py-1 pr-3">{field}</td>
                                    <td class="py-1 pr-3">{from}</td>
                                    <td class="py-1">{to}</td>
                                </tr>
                            })
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {listed("diff-steps-added", "Next steps added", diff.steps_added)}
            {listed("diff-steps-removed", "Next steps removed", diff.steps_removed)}
            {listed("diff-steps-ticked", "Next steps done (or undone)", diff.steps_ticked)}
        </div>
    }
}

#[component]
fn ImportForm(import: ServerAction<ImportRoadmapEdition>) -> impl IntoView {
    view! {
        <section aria-labelledby="import-heading" class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="import-heading" class="mb-2 font-semibold">"Import an edition"</h2>
            <p class="mb-2 text-sm text-slate-700">
                "A later edition updates what changed (dated by the edition), adds new modules and retires those it no longer lists. "
                "A module it lists twice is imported once, with a warning."
            </p>
            <ActionForm action=import attr:data-testid="import-edition" attr:class="grid gap-3">
                <label class="text-sm">
                    "File name"
                    <input name="name" placeholder="infrastructure-status.md" class=INPUT />
                </label>
                <label class="text-sm">
                    "Document (markdown)"
                    <textarea name="document" rows="12" class=format!("{INPUT} font-mono")></textarea>
                </label>
                <div class="flex flex-wrap items-center gap-4 text-sm">
                    <label class="flex items-center gap-1">
                        <input type="checkbox" name="strict" value="on" />
                        "Strict: refuse a module listed twice"
                    </label>
                    <label class="flex items-center gap-1">
                        <input type="checkbox" name="force" value="on" />
                        "Force: import an edition older than the newest"
                    </label>
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"Import edition"</button>
                </div>
            </ActionForm>
        </section>
    }
}
