//! Roles (from the identity provider's groups, mapped in config) and the
//! permissions each grants. [`Role::grants`] is the single source of truth
//! for authorization; every server function and route asks it (through the
//! core's `auth::require`), and a page may ask it to show what a role may do.

use crate::{word_enum, word_traits};

word_enum! {
    /// What a person is to Gantry, lowest first.
    pub enum Role {
        Viewer,
        Operator,
        Approver,
        Admin,
    }
}
word_traits!(Role, "role");

word_enum! {
    /// One thing a role may do.
    pub enum Permission {
        /// See every page and read API.
        Read,
        /// Change the roadmap: statuses, priority, phase, owner, modules.
        EditRoadmap,
        /// Run jobs against non-production environments.
        RunJobs,
        /// Approve or reject production changes.
        Approve,
        /// Read and export the audit log.
        ReadAudit,
        /// Settings, environments, break-glass.
        Administer,
    }
}
word_traits!(Permission, "permission");

impl Role {
    /// What this role may do. Every role reads; admin may do everything.
    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Viewer => matches!(permission, Read),
            Role::Operator => matches!(permission, Read | EditRoadmap | RunJobs),
            Role::Approver => matches!(permission, Read | Approve | ReadAudit),
        }
    }
}
