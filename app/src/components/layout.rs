//! The frame of every page: a sidebar of areas, who is signed in, and the
//! main column.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::{whoami, Me};
use crate::components::data::{page_data, Data};

/// The signed-in user, fetched once per page load by the layout and shared
/// with the pages through context.
pub type MeResource = Data<Me>;

/// Whether the signed-in person may edit the roadmap (false while unknown
/// or signed out): what the roadmap pages ask before showing their forms.
pub async fn can_edit_roadmap(me: Option<MeResource>) -> bool {
    match me {
        Some(me) => me.await.map(|m| m.can_edit_roadmap).unwrap_or(false),
        None => false,
    }
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let me: MeResource = page_data(|| (), |_| whoami());
    provide_context(me);
    view! {
        <div class="min-h-screen md:flex">
            <a
                href="#main"
                class="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2"
            >
                "Skip to content"
            </a>
            <aside aria-label="Gantry" class="flex flex-col print:hidden border-b border-slate-800 bg-slate-900 text-slate-100 md:sticky md:top-0 md:h-screen md:w-60 md:shrink-0 md:border-r md:border-b-0">
                <div class="flex items-center gap-2 px-5 py-4">
                    <span aria-hidden="true" class="grid h-8 w-8 place-items-center rounded-md bg-indigo-500 font-bold text-white">
                        "G"
                    </span>
                    <span class="text-lg font-semibold tracking-tight">"Gantry"</span>
                </div>
                <nav aria-label="Areas" class="flex-1 px-3 pb-4">
                    <p class="px-2 pt-2 pb-1 text-xs font-semibold tracking-wider text-slate-400 uppercase">
                        "Roadmap"
                    </p>
                    <ul class="space-y-1">
                        <NavItem href="/roadmap" label="Module matrix" />
                        <NavItem href="/roadmap/board" label="Board by phase" />
                        <NavItem href="/roadmap/timeline" label="Timeline" />
                        <NavItem href="/roadmap/steps" label="Next steps" />
                        <NavItem href="/roadmap/history" label="Editions" />
                        <li>
                            <a
                                href="/roadmap/export.md"
                                rel="external"
                                class="block rounded-md px-2 py-1.5 text-sm text-slate-300 hover:bg-slate-800 hover:text-white"
                            >
                                "Export markdown"
                            </a>
                        </li>
                    </ul>
                    <p class="px-2 pt-4 pb-1 text-xs font-semibold tracking-wider text-slate-400 uppercase">
                        "Platform"
                    </p>
                    <ul class="space-y-1">
                        <NavItem href="/environments" label="Environments" />
                        <NavItem href="/jobs" label="Jobs" />
                        <NavItem href="/cost" label="Cost" />
                    </ul>
                    <Suspense>
                        {move || Suspend::new(async move {
                            me.await.ok().filter(|m| m.can_approve).map(|m| view! {
                                <ul class="mt-1 space-y-1">
                                    <li>
                                        <a href="/approvals" class="flex items-center justify-between rounded-md px-2 py-1.5 text-sm text-slate-300 hover:bg-slate-800 hover:text-white">
                                            "Approvals"
                                            {(m.approvals_waiting > 0).then(|| view! {
                                                <span data-testid="approvals-badge" class="rounded-full bg-amber-300 px-2 text-xs font-semibold text-slate-950">
                                                    {m.approvals_waiting}<span class="sr-only">" waiting for you"</span>
                                                </span>
                                            })}
                                        </a>
                                    </li>
                                </ul>
                            })
                        })}
                    </Suspense>
                    <Suspense>
                        {move || Suspend::new(async move {
                            let can_audit = me.await.map(|m| m.can_read_audit).unwrap_or(false);
                            can_audit
                                .then(|| {
                                    view! {
                                        <p class="px-2 pt-4 pb-1 text-xs font-semibold tracking-wider text-slate-400 uppercase">
                                            "Governance"
                                        </p>
                                        <ul class="space-y-1">
                                            <NavItem href="/audit" label="Audit log" />
                                        </ul>
                                    }
                                })
                        })}
                    </Suspense>
                </nav>
                <Suspense>
                    {move || Suspend::new(async move { me.await.ok().map(|me| view! { <UserPanel me /> }) })}
                </Suspense>
            </aside>
            <main id="main" class="min-w-0 flex-1 px-4 py-6 md:px-8">
                <Suspense>
                    {move || Suspend::new(async move {
                        me.await.ok().and_then(|me| me.roles_limited).map(|why| view! {
                            <p role="status" data-testid="roles-limited" class="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm font-medium text-amber-950">
                                {why}
                            </p>
                        })
                    })}
                </Suspense>
                {children()}
            </main>
        </div>
    }
}

#[component]
fn UserPanel(me: Me) -> impl IntoView {
    view! {
        <div class="border-t border-slate-800 px-5 py-4 text-sm" data-testid="user-panel">
            <p class="font-medium" data-testid="user-name">{me.name}</p>
            <p class="text-xs text-slate-400" data-testid="user-roles">{me.roles.join(", ")}</p>
            <form method="post" action="/auth/logout" class="mt-2">
                <button type="submit" data-testid="sign-out" class="text-xs text-slate-300 underline hover:text-white">
                    "Sign out"
                </button>
            </form>
        </div>
    }
}

#[component]
fn NavItem(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li>
            <A
                href=href
                exact=true
                attr:class="block rounded-md px-2 py-1.5 text-sm text-slate-300 hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-800 aria-[current=page]:font-medium aria-[current=page]:text-white"
            >
                {label}
            </A>
        </li>
    }
}
