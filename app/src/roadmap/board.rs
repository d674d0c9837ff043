//! The board: modules grouped by rollout phase, with each phase's next steps.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::roadmap_board;
use super::dto::{phase_word, section_label, BoardColumn, BoardView};
use crate::components::badge::{PriorityBadge, StatusBadge};
use crate::components::data::page_data;
use crate::components::page::{ErrorPanel, Loading, PageHeader};

#[component]
pub fn BoardPage() -> impl IntoView {
    let data = page_data(|| (), |_| roadmap_board());
    view! {
        <Title text="Roadmap board" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(board) => view! { <Board board /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Board(board: BoardView) -> impl IntoView {
    view! {
        <PageHeader
            title="Roadmap board".to_owned()
            subtitle="Modules still to roll out, by phase, with each phase's next steps."
        />
        <div class="grid gap-4 md:grid-cols-2 xl:grid-cols-5">
            {board.columns.into_iter().map(|column| view! { <Column column /> }).collect_view()}
        </div>
    }
}

#[component]
fn Column(column: BoardColumn) -> impl IntoView {
    let heading_id = format!("phase-{}", phase_word(column.phase));
    let count = column.cards.len();
    let labelled_by = heading_id.clone();
    let progress_label = format!("{} modules deployed per environment", column.title);
    view! {
        <section
            data-phase=phase_word(column.phase)
            aria-labelledby=labelled_by
            class="flex flex-col rounded-lg border border-slate-200 bg-slate-100/60 p-3"
        >
            <h2 id=heading_id class="flex items-baseline justify-between font-semibold">
                <span>{column.title}</span>
                <span class="text-xs font-normal text-slate-700">{format!("{count} modules")}</span>
            </h2>
            {column.horizon.map(|h| view! { <p class="text-xs text-slate-700">{h}</p> })}
            <div class="mt-2">
                <super::progress::ProgressBars progress=column.progress label=progress_label />
            </div>
            <ul class="mt-3 space-y-2">
                {column
                    .cards
                    .into_iter()
                    .map(|card| {
                        view! {
                            <li data-module=card.slug.clone() class="rounded-md border border-slate-200 bg-white p-3 shadow-sm">
                                <a href=format!("/roadmap/modules/{}", card.slug) class="font-medium text-indigo-700 hover:underline">
                                    {card.name}
                                </a>
                                <div class="mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-500">
                                    <span>{section_label(card.section)}</span>
                                    <PriorityBadge level=card.priority.level text=card.priority.text />
                                </div>
                                <div class="mt-2 flex flex-wrap gap-1">
                                    {card
                                        .statuses
                                        .into_iter()
                                        .map(|cell| {
                                            let env = cell.environment.clone();
                                            view! {
                                                <span class="inline-flex items-center gap-1 text-xs text-slate-600" data-env=env>
                                                    {cell.environment}
                                                    <StatusBadge status=cell.status />
                                                </span>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {(!column.steps.is_empty())
                .then(|| {
                    view! {
                        <div class="mt-4 border-t border-slate-200 pt-3">
                            <h3 class="text-xs font-semibold tracking-wide text-slate-700 uppercase">"Next steps"</h3>
                            <ul class="mt-2 space-y-1 text-sm">
                                {column
                                    .steps
                                    .into_iter()
                                    .map(|step| {
                                        view! {
                                            <li class="flex gap-2" data-completed=step.completed.to_string()>
                                                <span aria-hidden="true">{if step.completed { "✅" } else { "◻️" }}</span>
                                                <span class:line-through=step.completed class:text-slate-600=step.completed>
                                                    {step.text}
                                                </span>
                                                {step.completed.then(|| view! { <span class="sr-only">"(completed)"</span> })}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </div>
                    }
                })}
        </section>
    }
}
