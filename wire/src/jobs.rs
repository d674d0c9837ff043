//! The jobs' words: what a job does, where it and its steps are, how loud
//! a log line is.

use crate::{word_enum, word_traits};

word_enum! {
    /// What a job does to its environment.
    pub enum JobKind {
        Provision,
        Deploy,
        Scale,
        Configure,
        Rollback,
        Teardown,
    }
}
word_traits!(JobKind, "job kind");

word_enum! {
    /// Where a job is in its life. See [`JobState::can_become`].
    pub enum JobState {
        AwaitingApproval,
        Queued,
        Running,
        Succeeded,
        Failed,
        Cancelled,
        RolledBack,
        Stale,
        Stuck,
    }
}
word_traits!(JobState, "job state");

word_enum! {
    /// Where one step of a job's plan is (`skipped`: never run, the job ended
    /// before it).
    pub enum StepState {
        Pending,
        Running,
        Succeeded,
        Failed,
        Skipped,
    }
}
word_traits!(StepState, "step state");

impl JobState {
    /// Whether a job in this state may move to `next`. Running → running is
    /// a re-claim after an expired lease (a new fencing token).
    ///
    /// - awaiting_approval → queued (approved), cancelled (rejected, withdrawn)
    /// - queued → running (claimed), cancelled
    /// - running → running (re-claimed), succeeded, failed, cancelled,
    ///   rolled_back, stale, stuck
    /// - stuck → queued (retried at its current step), awaiting_approval
    ///   (retried where approvals are needed: planned and decided again),
    ///   cancelled, failed
    /// - failed → queued (retried from the failed step), awaiting_approval
    ///   (likewise)
    /// - succeeded, cancelled, rolled_back, stale: final (a stale plan is
    ///   re-planned as a new job)
    pub fn can_become(self, next: JobState) -> bool {
        use JobState::*;
        matches!(
            (self, next),
            (AwaitingApproval, Queued | Cancelled)
                | (Queued, Running | Cancelled)
                | (
                    Running,
                    Running | Succeeded | Failed | Cancelled | RolledBack | Stale | Stuck
                )
                | (Stuck, Queued | AwaitingApproval | Cancelled | Failed)
                | (Failed, Queued | AwaitingApproval)
        )
    }

    /// No worker will touch the job again by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded
                | JobState::Failed
                | JobState::Cancelled
                | JobState::RolledBack
                | JobState::Stale
        )
    }

    /// The states a running job may end in (by its worker).
    pub fn is_outcome(self) -> bool {
        self != JobState::Running && JobState::Running.can_become(self)
    }

    /// The environment's lock is held (the database's unique index covers
    /// these states).
    pub fn holds_lock(self) -> bool {
        matches!(self, JobState::Running | JobState::Stuck)
    }
}

word_enum! {
    /// How loud one line of a job's log is.
    pub enum LogLevel {
        Info,
        Warn,
        Error,
    }
}
word_traits!(LogLevel, "log level");
