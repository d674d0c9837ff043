//! Wire types of the roadmap pages: plain data, no secrets, no server types.

use gantry_wire::{ModuleStatus, Phase, PriorityLevel, Section};
use serde::{Deserialize, Serialize};

/// A monthly amount or range in whole cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub low_cents: i64,
    pub high_cents: i64,
}

impl Money {
    /// "$15", "$150–200", "$12.50".
    pub fn display(&self) -> String {
        fn dollars(cents: i64) -> String {
            if cents % 100 == 0 {
                format!("{}", cents / 100)
            } else {
                format!("{}.{:02}", cents / 100, (cents % 100).abs())
            }
        }
        if self.low_cents == self.high_cents {
            format!("${}", dollars(self.low_cents))
        } else {
            format!("${}–{}", dollars(self.low_cents), dollars(self.high_cents))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCell {
    pub environment: String,
    pub status: ModuleStatus,
    /// Where AWS disagrees with this status (from the latest health poll):
    /// "Roadmap says deployed in prod, but AWS shows no RDS instance".
    pub drift: Option<String>,
    /// The status that would end the drift (deployed, ready): offered to
    /// operators as a one-click correction on the module's page.
    #[serde(default)]
    pub correction: Option<ModuleStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityView {
    /// Highest level anywhere, for the badge colour and sorting.
    pub level: Option<PriorityLevel>,
    /// As people say it: "High", "Low for dev, High for prod".
    pub text: String,
    /// The structured value, for the edit form.
    pub default: Option<PriorityLevel>,
    pub per_env: Vec<(String, PriorityLevel)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixRow {
    pub slug: String,
    pub name: String,
    pub section: Section,
    pub group: Option<String>,
    pub path: Option<String>,
    pub priority: PriorityView,
    pub phase: Option<Phase>,
    pub statuses: Vec<StatusCell>,
    /// Estimated monthly cost per environment, in `environments` order.
    pub costs: Vec<Option<Money>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostLine {
    pub component: String,
    pub qualifier: Option<String>,
    pub monthly: Money,
    pub module_slug: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostEstimate {
    pub environment: String,
    pub title: String,
    pub projected: bool,
    pub lines: Vec<CostLine>,
    pub stated_total: Option<Money>,
    pub sum_of_lines: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixView {
    pub title: String,
    pub as_of: Option<String>,
    pub environments: Vec<String>,
    pub rows: Vec<MatrixRow>,
    pub estimates: Vec<CostEstimate>,
    /// The jobs running (or stuck) on the matrix's environments.
    #[serde(default)]
    pub active_jobs: Vec<crate::jobs::dto::JobSummaryView>,
    /// Deployed out of planned, per environment.
    pub progress: Vec<ProgressView>,
}

/// One environment's rollout progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressView {
    pub environment: String,
    pub deployed: usize,
    pub total: usize,
    pub percent: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub text: String,
    pub completed: bool,
    pub module_slug: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardCard {
    pub slug: String,
    pub name: String,
    pub section: Section,
    pub priority: PriorityView,
    pub statuses: Vec<StatusCell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardColumn {
    /// `None`: the unscheduled column.
    pub phase: Option<Phase>,
    pub title: String,
    pub horizon: Option<String>,
    pub cards: Vec<BoardCard>,
    pub steps: Vec<StepView>,
    /// The column's modules deployed out of planned, per environment.
    pub progress: Vec<ProgressView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardView {
    pub columns: Vec<BoardColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub source: String,
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvCost {
    pub environment: String,
    pub monthly: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleDetail {
    pub slug: String,
    pub name: String,
    pub section: Section,
    pub group: Option<String>,
    pub path: Option<String>,
    pub path_note: Option<String>,
    pub purpose: Option<String>,
    pub features: Vec<String>,
    pub priority: PriorityView,
    pub status_note: Option<String>,
    pub current_note: Option<String>,
    pub config_lang: Option<String>,
    pub config_body: Option<String>,
    pub statuses: Vec<StatusCell>,
    pub phase: Option<Phase>,
    pub owner: Option<String>,
    pub target_date: Option<String>,
    pub notes: Option<String>,
    pub dependencies: Vec<String>,
    pub costs: Vec<EnvCost>,
    pub steps: Vec<StepView>,
    pub history: Vec<HistoryView>,
    /// Per environment, the statuses the module went through, with dates
    /// ("" when the history has none).
    pub status_path: Vec<(String, Vec<(String, String)>)>,
    /// What realises the module in AWS: `ecs:<service>`, `ssm:/prefix/`.
    pub realisers: Vec<String>,
}

/// Human label of a section.
pub fn section_label(section: Section) -> &'static str {
    match section {
        Section::Implemented => "Implemented",
        Section::Ready => "Ready, not deployed",
        Section::Future => "Future",
    }
}

/// Human label of a phase.
pub fn phase_label(phase: Phase) -> &'static str {
    match phase {
        Phase::Immediate => "Immediate",
        Phase::Short => "Short term",
        Phase::Medium => "Medium term",
        Phase::Long => "Long term",
    }
}

/// The word of a board column's phase: "short", or "unscheduled".
pub fn phase_word(phase: Option<Phase>) -> &'static str {
    phase.map_or("unscheduled", Phase::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_ranges_and_cents() {
        let m = |l, h| Money {
            low_cents: l,
            high_cents: h,
        };
        assert_eq!(m(1500, 1500).display(), "$15");
        assert_eq!(m(15000, 20000).display(), "$150–200");
        assert_eq!(m(1250, 1250).display(), "$12.50");
    }
}

/// `/roadmap/timeline`: the modules still to roll out, placed in time, with
/// the drawing's coordinates computed on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineView {
    /// What horizons are measured from, and where that date came from.
    pub anchor: String,
    pub anchor_from_document: bool,
    pub today: String,
    pub from: String,
    pub to: String,
    /// x of the "today" line.
    pub today_x: f64,
    /// (x, "Dec 2024") of each month's first day on the axis.
    pub ticks: Vec<(f64, String)>,
    pub items: Vec<TimelineItemView>,
    pub unscheduled: Vec<UnscheduledView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineItemView {
    pub slug: String,
    pub name: String,
    pub environments: Vec<String>,
    /// "high", "medium", "low".
    pub priority: Option<String>,
    pub owner: Option<String>,
    /// "target date" or the phase's title ("Short Term").
    pub placement: String,
    pub milestone: bool,
    pub start: String,
    pub due: String,
    pub overdue: bool,
    pub x: f64,
    pub width: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnscheduledView {
    pub slug: String,
    pub name: String,
    pub environments: Vec<String>,
}

/// One environment's projected bill beside its actual cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillView {
    pub environment: String,
    /// Deployed modules (and shared lines).
    pub today: Money,
    /// After the planned rollout.
    pub projected: Money,
    pub shared: Money,
    /// The document's own total.
    pub stated_total: Option<Money>,
    /// ("October 2026", "$412.00") of the last full month.
    pub last_full_month: Option<(String, String)>,
    pub forecast: Option<String>,
    /// (slug, name) of modules counted without an estimate.
    pub unestimated: Vec<(String, String)>,
}

/// One next step on `/roadmap/steps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRow {
    pub id: i64,
    pub phase: String,
    pub text: String,
    pub completed: bool,
    pub module: Option<String>,
}

/// `/roadmap/steps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepsView {
    pub steps: Vec<StepRow>,
    /// (slug, name) of every module, for the link.
    pub modules: Vec<(String, String)>,
}

/// One imported edition of the status document on `/roadmap/history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionRow {
    pub id: i64,
    /// "December 2024 (2024-12-01)", or "no date".
    pub dated: String,
    pub source: String,
    pub actor: String,
    pub imported_at: String,
    pub forced: bool,
    pub warnings: Vec<String>,
    /// "1 created, 3 updated, 1 retired, 19 unchanged".
    pub summary: String,
}

/// One module's changes between two editions: (field, from, to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleChangesRow {
    pub name: String,
    pub fields: Vec<(String, String, String)>,
}

/// What differs from edition `from` to edition `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionDiffView {
    pub from: i64,
    pub to: i64,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ModuleChangesRow>,
    pub steps_added: Vec<String>,
    pub steps_removed: Vec<String>,
    pub steps_ticked: Vec<String>,
}

/// `/roadmap/history`: the editions, newest first, and a comparison of two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionsView {
    pub editions: Vec<EditionRow>,
    pub diff: Option<EditionDiffView>,
}

/// What importing an edition from the page did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub edition: i64,
    pub summary: String,
    pub warnings: Vec<String>,
}
