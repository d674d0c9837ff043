//! What an approver decides.

use crate::{word_enum, word_traits};

word_enum! {
    /// Approve or reject.
    pub enum Decision {
        Approve,
        Reject,
    }
}
word_traits!(Decision, "decision");
