//! An environment's settings that are words.

use crate::{word_enum, word_traits};

word_enum! {
    /// What to do with a production change during a freeze.
    #[derive(Default)]
    pub enum FreezeMode {
        /// Requests are refused and nothing is approved (break-glass only).
        #[default]
        Refuse,
        /// Requests and approvals are taken; an approved change waits for the
        /// freeze to end, then runs.
        Wait,
    }
}
word_traits!(FreezeMode, "freeze mode");
