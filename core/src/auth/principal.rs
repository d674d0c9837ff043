use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::role::{Permission, Role};

/// A signed-in user, as the server knows them. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The identity provider's stable subject identifier.
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub roles: BTreeSet<Role>,
}

impl Principal {
    pub fn can(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| r.grants(permission))
    }

    /// The role that grants `permission` (the lowest one), for the audit log.
    pub fn role_for(&self, permission: Permission) -> Option<Role> {
        self.roles.iter().copied().find(|r| r.grants(permission))
    }

    /// "Ada Admin <admin1>": how the audit log and history name the user.
    pub fn actor(&self) -> String {
        format!("{} <{}>", self.name, self.subject)
    }
}
