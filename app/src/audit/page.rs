use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{audit_page, AuditPageView};
use crate::components::data::page_data;
use crate::components::page::{ErrorPanel, FilterForm, Loading, PageHeader};

const FILTERS: [(&str, &str, &str); 5] = [
    ("actor", "Actor", "Ada Admin <ada>"),
    ("action", "Action", "roadmap.* or auth.sign_in"),
    ("target", "Target", "module:waf"),
    ("from", "From", "2026-11-01T00:00:00Z"),
    ("to", "To", "2026-12-01T00:00:00Z"),
];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let data = page_data(
        move || query.get(),
        |q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            audit_page(
                get("actor"),
                get("action"),
                get("target"),
                get("from"),
                get("to"),
                q.get("before").and_then(|b| b.parse().ok()),
            )
        },
    );
    let export_query = move || {
        let q = query.get();
        let mut serializer = String::new();
        for (key, _, _) in FILTERS {
            if let Some(v) = q.get(key).filter(|v| !v.is_empty()) {
                if !serializer.is_empty() {
                    serializer.push('&');
                }
                serializer.push_str(key);
                serializer.push('=');
                serializer.push_str(&crate::components::page::percent(&v));
            }
        }
        serializer
    };
    view! {
        <Title text="Audit log" />
        <PageHeader title="Audit log".to_owned() subtitle="Every change, who made it, before and after; chained by SHA-256.">
            <div class="flex gap-2">
                <a rel="external" data-testid="export-csv" href=move || format!("/audit/export.csv?{}", export_query()) class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-slate-50">"CSV"</a>
                <a rel="external" data-testid="export-jsonl" href=move || format!("/audit/export.jsonl?{}", export_query()) class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-slate-50">"JSON Lines"</a>
            </div>
        </PageHeader>
        <FilterForm filters=&FILTERS grid="sm:grid-cols-3 lg:grid-cols-6" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <AuditTable page next_query=export_query() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(page: AuditPageView, next_query: String) -> impl IntoView {
    let next = page.next_before.map(|id| {
        let sep = if next_query.is_empty() { "" } else { "&" };
        format!("/audit?{next_query}{sep}before={id}")
    });
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table data-testid="audit-table" class="min-w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                    <tr>
                        <th scope="col" class="px-3 py-2">"#"</th>
                        <th scope="col" class="px-3 py-2">"When"</th>
                        <th scope="col" class="px-3 py-2">"Actor"</th>
                        <th scope="col" class="px-3 py-2">"Action"</th>
                        <th scope="col" class="px-3 py-2">"Target"</th>
                        <th scope="col" class="px-3 py-2">"Before → after"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 align-top">
                    {page
                        .rows
                        .into_iter()
                        .map(|r| {
                            let action = r.action.clone();
                            view! {
                                <tr data-audit-id=r.id data-action=action>
                                    <td class="px-3 py-2 tabular-nums text-slate-500">{r.id}</td>
                                    <td class="px-3 py-2 whitespace-nowrap tabular-nums">{r.at.replace('T', " ")}</td>
                                    <td class="px-3 py-2">
                                        {r.actor}
                                        {r.role.map(|role| view! { <div class="text-xs text-slate-500">{role}</div> })}
                                    </td>
                                    <td class="px-3 py-2 font-mono text-xs">{r.action}</td>
                                    <td class="px-3 py-2 font-mono text-xs">{r.target}</td>
                                    <td class="max-w-md px-3 py-2 font-mono text-xs break-all text-slate-600">
                                        {r.before.unwrap_or_else(|| "—".into())}
                                        " → "
                                        {r.after.unwrap_or_else(|| "—".into())}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {next.map(|href| view! { <a href=href data-testid="older" class="mt-3 inline-block text-sm text-indigo-700 underline">"Older entries →"</a> })}
    }
}
