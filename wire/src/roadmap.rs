//! The roadmap's words: where a module sits in the document, its state in an
//! environment, its priority level, the rollout phase of a next step.

use crate::{word_enum, word_traits};

word_enum! {
    /// Where a module sits in the document, which is also its lifecycle stage.
    pub enum Section {
        /// "Currently Implemented Modules"
        Implemented,
        /// "Modules Ready but Not Deployed"
        Ready,
        /// "Future Modules to Implement"
        Future,
    }
}
word_traits!(Section, "section");

impl Section {
    /// The status a module of this section has in environment `env` unless
    /// the document says otherwise (an `Environments:` line).
    ///
    /// Implemented modules are deployed in dev and ready elsewhere: the seed's
    /// production figures are "Projected" and its RDS is "Multi-AZ ready for prod".
    pub fn default_status(self, env: &str) -> ModuleStatus {
        match self {
            Section::Implemented if env == "dev" => ModuleStatus::Deployed,
            Section::Implemented | Section::Ready => ModuleStatus::Ready,
            Section::Future => ModuleStatus::Planned,
        }
    }
}

word_enum! {
    /// A module's state in one environment.
    pub enum ModuleStatus {
        Planned,
        Ready,
        InProgress,
        Deployed,
        Retired,
    }
}
// Accepts the stored form (`in_progress`) and the written one (`in progress`).
word_traits!(ModuleStatus, "module status", loose);

impl ModuleStatus {
    /// Human label: "in progress".
    pub fn label(self) -> &'static str {
        match self {
            ModuleStatus::InProgress => "in progress",
            other => other.as_str(),
        }
    }
}

word_enum! {
    /// How much a module matters, lowest first.
    pub enum PriorityLevel {
        Low,
        Medium,
        High,
    }
}
// Any case: "High", "high".
word_traits!(PriorityLevel, "priority", loose);

impl PriorityLevel {
    /// "High"
    pub fn title(self) -> &'static str {
        match self {
            PriorityLevel::Low => "Low",
            PriorityLevel::Medium => "Medium",
            PriorityLevel::High => "High",
        }
    }
}

word_enum! {
    /// The rollout phases of the document's "Next Steps" section.
    pub enum Phase {
        Immediate,
        Short,
        Medium,
        Long,
    }
}
word_traits!(Phase, "phase", loose);

impl Phase {
    /// The heading word(s) the document uses: "Immediate", "Short Term".
    pub fn title(self) -> &'static str {
        match self {
            Phase::Immediate => "Immediate",
            Phase::Short => "Short Term",
            Phase::Medium => "Medium Term",
            Phase::Long => "Long Term",
        }
    }
}
