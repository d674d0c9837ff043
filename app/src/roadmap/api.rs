//! Roadmap server functions: thin shims over `gantry_core::roadmap::service`.

use leptos::prelude::*;

use super::dto::{BillView, BoardView, MatrixView, ModuleDetail, TimelineView};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "roadmap/matrix")]
pub async fn roadmap_matrix() -> Result<MatrixView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let roadmap = gantry_core::roadmap::service::roadmap(&services.db).await?;
    let drift = gantry_core::health::service::latest_drift(&services.db, &roadmap.modules).await?;
    let active =
        gantry_core::jobs::service::active_jobs(&services.db, &roadmap.environments).await?;
    let mut view = convert::matrix(&roadmap, &drift);
    view.active_jobs = active
        .iter()
        .map(crate::jobs::api::convert::summary)
        .collect();
    Ok(view)
}

#[server(prefix = "/api", endpoint = "roadmap/board")]
pub async fn roadmap_board() -> Result<BoardView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let roadmap = gantry_core::roadmap::service::roadmap(&services.db).await?;
    Ok(convert::board(&roadmap))
}

/// Per environment: the roadmap's estimate of the monthly bill today and
/// after the planned rollout, beside the document's totals and the actual
/// cost (last full month, this month's forecast).
#[server(prefix = "/api", endpoint = "roadmap/bill")]
pub async fn roadmap_bill() -> Result<Vec<BillView>, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let bills =
        gantry_core::compose::roadmap::bill(&services.db, services.clock.now().date_naive())
            .await?;
    Ok(bills.iter().map(convert::bill).collect())
}

/// The rollout timeline, narrowed by environment, priority and owner (each
/// optional).
#[server(prefix = "/api", endpoint = "roadmap/timeline")]
pub async fn roadmap_timeline(
    #[server(default)] environment: String,
    #[server(default)] priority: String,
    #[server(default)] owner: String,
) -> Result<TimelineView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let timeline = gantry_core::roadmap::service::timeline(
        &services.db,
        &environment,
        &priority,
        &owner,
        services.clock.now().date_naive(),
    )
    .await?;
    Ok(convert::timeline(&timeline))
}

#[server(prefix = "/api", endpoint = "roadmap/module")]
pub async fn roadmap_module(slug: String) -> Result<ModuleDetail, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    use gantry_core::roadmap::model::ModuleSlug;
    let services = crate::services()?;
    let slug = ModuleSlug::parse(&slug)
        .map_err(|_| gantry_core::CoreError::NotFound(format!("module {slug:?}")))?;
    let page = gantry_core::compose::roadmap::module_page(&services.db, &slug).await?;
    convert::detail(page, &slug).ok_or_else(|| {
        gantry_core::CoreError::NotFound(format!("module {:?}", slug.as_str())).into()
    })
}

/// Domain → wire conversions. Server-only.
#[cfg(feature = "ssr")]
mod convert {
    use gantry_core::health::drift::Drift;
    use gantry_core::roadmap::model::{CostRange, Module, ModuleSlug, Phase, Priority, Roadmap};

    use crate::roadmap::dto::*;

    /// The timeline drawing's x range (see `timeline::WIDTH`).
    pub fn timeline(t: &gantry_core::roadmap::timeline::Timeline) -> TimelineView {
        use crate::roadmap::timeline::{AXIS_LEFT, AXIS_RIGHT};
        use gantry_core::roadmap::timeline::{month_ticks, x_of, Placement};
        let x = |d| x_of(d, t.from, t.to, AXIS_LEFT, AXIS_RIGHT);
        TimelineView {
            anchor: t.anchor.to_string(),
            anchor_from_document: t.anchor_from_document,
            today: t.today.to_string(),
            from: t.from.to_string(),
            to: t.to.to_string(),
            today_x: x(t.today),
            ticks: month_ticks(t.from, t.to)
                .into_iter()
                .map(|d| (x(d), d.format("%b %Y").to_string()))
                .collect(),
            items: t
                .items
                .iter()
                .map(|i| TimelineItemView {
                    slug: i.slug.to_string(),
                    name: i.name.clone(),
                    environments: i.environments.iter().map(ToString::to_string).collect(),
                    priority: i.priority.map(|p| p.as_str().to_owned()),
                    owner: i.owner.clone(),
                    placement: match i.placement {
                        Placement::TargetDate => "target date".to_owned(),
                        Placement::Horizon(phase) => phase.title().to_owned(),
                    },
                    milestone: i.start == i.due,
                    start: i.start.to_string(),
                    due: i.due.to_string(),
                    overdue: i.overdue,
                    x: x(i.start),
                    width: x(i.due) - x(i.start),
                })
                .collect(),
            unscheduled: t
                .unscheduled
                .iter()
                .map(|u| UnscheduledView {
                    slug: u.slug.to_string(),
                    name: u.name.clone(),
                    environments: u.environments.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }
    }

    pub fn bill(b: &gantry_core::compose::roadmap::BillWithActuals) -> BillView {
        let usd = crate::cost::dto::usd;
        BillView {
            environment: b.bill.environment.to_string(),
            today: money(b.bill.today),
            projected: money(b.bill.projected),
            shared: money(b.bill.shared),
            stated_total: b.bill.stated_total.map(money),
            last_full_month: b.last_full_month.map(|(month, cents)| {
                (
                    crate::cost::dto::month_label(&month.to_string()),
                    usd(cents),
                )
            }),
            forecast: b.forecast_cents.map(usd),
            unestimated: b
                .bill
                .unestimated
                .iter()
                .map(|(slug, name)| (slug.to_string(), name.clone()))
                .collect(),
        }
    }

    fn money(c: CostRange) -> Money {
        Money {
            low_cents: c.low_cents,
            high_cents: c.high_cents,
        }
    }

    pub fn priority(p: &Priority) -> PriorityView {
        let mut parts: Vec<String> = p.default.iter().map(|l| l.title().to_owned()).collect();
        parts.extend(
            p.per_env
                .iter()
                .map(|(env, level)| format!("{} for {env}", level.title())),
        );
        PriorityView {
            level: p.highest(),
            text: parts.join(", "),
            default: p.default,
            per_env: p
                .per_env
                .iter()
                .map(|(env, l)| (env.to_string(), *l))
                .collect(),
        }
    }

    fn statuses(roadmap: &Roadmap, m: &Module) -> Vec<StatusCell> {
        statuses_with(roadmap, m, &[])
    }

    /// Each environment's status of `m`, flagged where `drift` names it.
    fn statuses_with(roadmap: &Roadmap, m: &Module, drift: &[Drift]) -> Vec<StatusCell> {
        roadmap
            .environments
            .iter()
            .map(|env| StatusCell {
                environment: env.to_string(),
                status: m
                    .statuses
                    .get(env)
                    .copied()
                    .unwrap_or(gantry_wire::ModuleStatus::Planned),
                drift: drift
                    .iter()
                    .find(|d| d.module == m.slug.as_str() && d.environment == env.as_str())
                    .map(|d| d.message.clone()),
                correction: drift
                    .iter()
                    .find(|d| d.module == m.slug.as_str() && d.environment == env.as_str())
                    .map(gantry_core::compose::roadmap::correction),
            })
            .collect()
    }

    fn steps_for(
        roadmap: &Roadmap,
        slug: Option<&ModuleSlug>,
        phase: Option<Phase>,
    ) -> Vec<StepView> {
        roadmap
            .next_steps
            .iter()
            .filter(|s| slug.is_none_or(|slug| s.module.as_ref() == Some(slug)))
            .filter(|s| phase.is_none_or(|p| s.phase == p))
            .map(|s| StepView {
                text: s.text.clone(),
                completed: s.completed,
                module_slug: s.module.as_ref().map(|m| m.to_string()),
            })
            .collect()
    }

    /// The matrix, each cell flagged where the roadmap and AWS disagree.
    pub fn matrix(roadmap: &Roadmap, drift: &[Drift]) -> MatrixView {
        let rows = roadmap
            .modules
            .iter()
            .map(|m| MatrixRow {
                slug: m.slug.to_string(),
                name: m.name.clone(),
                section: m.section,
                group: m.group.clone(),
                path: m.path.clone(),
                priority: priority(&m.priority),
                phase: m.phase,
                statuses: statuses_with(roadmap, m, drift),
                costs: roadmap
                    .environments
                    .iter()
                    .map(|env| roadmap.estimated_cost(&m.slug, env).map(money))
                    .collect(),
            })
            .collect();
        let estimates = roadmap
            .costs
            .iter()
            .map(|c| CostEstimate {
                environment: c.environment.to_string(),
                title: c.title.clone(),
                projected: c.projected,
                lines: c
                    .items
                    .iter()
                    .map(|i| CostLine {
                        component: i.component.clone(),
                        qualifier: i.qualifier.clone(),
                        monthly: money(i.monthly),
                        module_slug: i.module.as_ref().map(|m| m.to_string()),
                    })
                    .collect(),
                stated_total: c.stated_total.map(money),
                sum_of_lines: c
                    .items
                    .iter()
                    .map(|i| i.monthly)
                    .reduce(|a, b| a + b)
                    .map(money),
            })
            .collect();
        MatrixView {
            title: roadmap.meta.title.clone(),
            as_of: roadmap.meta.current_date.clone(),
            environments: roadmap.environments.iter().map(|e| e.to_string()).collect(),
            rows,
            estimates,
            active_jobs: Vec::new(),
            progress: progress(roadmap, &roadmap.modules.iter().collect::<Vec<_>>()),
        }
    }

    fn progress(roadmap: &Roadmap, modules: &[&Module]) -> Vec<ProgressView> {
        gantry_core::roadmap::progress::by_environment(&roadmap.environments, modules)
            .into_iter()
            .map(|(env, t)| ProgressView {
                environment: env.to_string(),
                deployed: t.deployed,
                total: t.total,
                percent: t.percent(),
            })
            .collect()
    }

    pub fn board(roadmap: &Roadmap) -> BoardView {
        let card = |m: &Module| BoardCard {
            slug: m.slug.to_string(),
            name: m.name.clone(),
            section: m.section,
            priority: priority(&m.priority),
            statuses: statuses(roadmap, m),
        };
        let mut columns: Vec<BoardColumn> = Phase::ALL
            .iter()
            .copied()
            .map(|phase| {
                let modules: Vec<&Module> = roadmap
                    .modules
                    .iter()
                    .filter(|m| m.phase == Some(phase))
                    .collect();
                BoardColumn {
                    phase: Some(phase),
                    title: phase.title().to_owned(),
                    horizon: roadmap.meta.phase_horizons.get(&phase).cloned(),
                    cards: modules.iter().map(|m| card(m)).collect(),
                    steps: steps_for(roadmap, None, Some(phase)),
                    progress: progress(roadmap, &modules),
                }
            })
            .collect();
        let unscheduled: Vec<&Module> = roadmap
            .modules
            .iter()
            .filter(|m| {
                m.phase.is_none() && m.section != gantry_core::roadmap::model::Section::Implemented
            })
            .collect();
        columns.push(BoardColumn {
            phase: None,
            title: "Unscheduled".to_owned(),
            horizon: None,
            cards: unscheduled.iter().map(|m| card(m)).collect(),
            steps: Vec::new(),
            progress: progress(roadmap, &unscheduled),
        });
        BoardView { columns }
    }

    pub fn detail(
        page: gantry_core::compose::roadmap::ModulePage,
        slug: &ModuleSlug,
    ) -> Option<ModuleDetail> {
        let gantry_core::compose::roadmap::ModulePage {
            roadmap,
            history,
            realisers,
            drift,
        } = page;
        let roadmap = &roadmap;
        let m = roadmap.module(slug)?;
        Some(ModuleDetail {
            slug: m.slug.to_string(),
            name: m.name.clone(),
            section: m.section,
            group: m.group.clone(),
            path: m.path.clone(),
            path_note: m.path_note.clone(),
            purpose: m.purpose.clone(),
            features: m.features.clone(),
            priority: priority(&m.priority),
            status_note: m.status_note.clone(),
            current_note: m.current_note.clone(),
            config_lang: m.config.as_ref().map(|c| c.lang.clone()),
            config_body: m.config.as_ref().map(|c| c.body.clone()),
            statuses: statuses_with(roadmap, m, &drift),
            phase: m.phase,
            owner: m.owner.clone(),
            target_date: m.target_date.clone(),
            notes: m.notes.clone(),
            dependencies: m.dependencies.iter().map(|d| d.to_string()).collect(),
            costs: roadmap
                .environments
                .iter()
                .map(|env| EnvCost {
                    environment: env.to_string(),
                    monthly: roadmap.estimated_cost(slug, env).map(money),
                })
                .collect(),
            steps: steps_for(roadmap, Some(slug), None),
            realisers: realisers.iter().map(ToString::to_string).collect(),
            status_path: gantry_core::roadmap::progress::path(
                &roadmap.environments,
                |env| m.statuses.get(env).copied(),
                &history,
            )
            .into_iter()
            .map(|(env, steps)| {
                (
                    env.to_string(),
                    steps
                        .into_iter()
                        .map(|s| (s.status.label().to_owned(), s.at.chars().take(10).collect()))
                        .collect(),
                )
            })
            .collect(),
            history: history
                .into_iter()
                .map(|h| HistoryView {
                    at: h.at,
                    actor: h.actor,
                    source: h.source,
                    field: h.field,
                    from: h.from,
                    to: h.to,
                })
                .collect(),
        })
    }
}
