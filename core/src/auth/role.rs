//! Roles (from the identity provider's groups, mapped in config) and the
//! permissions each grants ([`Role::grants`], in the wire crate, is the single
//! source of truth for authorization; every server function and route asks it
//! through [`super::require`]).

use std::collections::{BTreeMap, BTreeSet};

pub use gantry_wire::{Permission, Role};

/// Which identity-provider groups confer which role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMapping {
    groups: BTreeMap<String, BTreeSet<Role>>,
}

impl RoleMapping {
    pub fn new(entries: impl IntoIterator<Item = (Role, Vec<String>)>) -> Self {
        let mut groups: BTreeMap<String, BTreeSet<Role>> = BTreeMap::new();
        for (role, names) in entries {
            for name in names {
                groups.entry(name).or_default().insert(role);
            }
        }
        Self { groups }
    }

    /// The roles a user with these groups has; empty means "not allowed in".
    pub fn roles_for<'a>(&self, user_groups: impl IntoIterator<Item = &'a str>) -> BTreeSet<Role> {
        user_groups
            .into_iter()
            .filter_map(|g| self.groups.get(g))
            .flatten()
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_table() {
        use Permission::*;
        let expect = [
            (Role::Viewer, vec![Read]),
            (Role::Operator, vec![Read, EditRoadmap, RunJobs]),
            (Role::Approver, vec![Read, Approve, ReadAudit]),
            (Role::Admin, Permission::ALL.to_vec()),
        ];
        for (role, allowed) in expect {
            for &p in Permission::ALL {
                assert_eq!(role.grants(p), allowed.contains(&p), "{role:?} {p:?}");
            }
        }
    }

    #[test]
    fn groups_map_to_roles_and_unknown_groups_to_nothing() {
        let mapping = RoleMapping::new([
            (Role::Viewer, vec!["eng".to_owned()]),
            (Role::Operator, vec!["platform".to_owned()]),
            (
                Role::Admin,
                vec!["platform-leads".to_owned(), "platform".to_owned()],
            ),
        ]);
        assert_eq!(
            mapping.roles_for(["platform", "other"]),
            BTreeSet::from([Role::Operator, Role::Admin])
        );
        assert!(mapping.roles_for(["sales"]).is_empty());
        assert!(mapping.roles_for([]).is_empty());
    }
}
