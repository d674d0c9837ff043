//! Environments must not reach each other's resources: a dev configure or
//! tear-down must never touch production's parameters or services. Two
//! environments in the same AWS account and region overlap when one's SSM
//! prefix contains the other's, when they list the same service of the same
//! cluster, or when a non-production environment uses a production one's
//! cluster. Pure; the store refuses an overlapping save
//! ([`super::store::upsert`]), whichever path saves it.

use super::model::Environment;

/// Why `env` may not be saved beside `other` (both named), or `None`.
pub fn overlap(env: &Environment, other: &Environment) -> Option<String> {
    if env.name == other.name || env.account_id != other.account_id || env.region != other.region {
        return None;
    }
    let (mine, theirs) = (env.ssm_prefix.as_str(), other.ssm_prefix.as_str());
    // Prefixes start and end with '/', so a string prefix is a path prefix.
    if mine.starts_with(theirs) || theirs.starts_with(mine) {
        return Some(format!(
            "environment {}'s SSM prefix {mine} overlaps environment {}'s {theirs}: a job on one would change the other's parameters",
            env.name, other.name
        ));
    }
    if env.cluster != other.cluster {
        return None;
    }
    if let Some(shared) = env
        .services
        .iter()
        .find(|s| other.services.iter().any(|o| o.name == s.name))
    {
        return Some(format!(
            "environment {} lists service {} of cluster {}, which environment {} lists too: a job on one would change the other's service",
            env.name, shared.name, env.cluster, other.name
        ));
    }
    if env.production != other.production {
        let (prod, other_env) = if env.production {
            (env, other)
        } else {
            (other, env)
        };
        return Some(format!(
            "environment {} uses cluster {}, which belongs to production environment {}: production's cluster is its own",
            other_env.name, env.cluster, prod.name
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::model::{EnvironmentInput, ServiceInput};

    fn env(name: &str, f: impl FnOnce(&mut EnvironmentInput)) -> Environment {
        let mut input = EnvironmentInput {
            name: name.to_owned(),
            production: name == "prod",
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
            cluster: format!("booking-{name}"),
            services: vec![ServiceInput {
                name: "api".to_owned(),
                container: "django".to_owned(),
                health_url: None,
            }],
            ssm_prefix: format!("/booking/{name}/"),
            approvals_required: (name == "prod").then_some(1),
            ..EnvironmentInput::default()
        };
        f(&mut input);
        input.validate().expect("valid")
    }

    #[test]
    fn overlapping_environments_are_named_both_ways() {
        let prod = env("prod", |_| {});
        // (case, the other environment, expected fragment; None: no overlap)
        let cases: Vec<(&str, Environment, Option<&str>)> = vec![
            ("separate everything", env("dev", |_| {}), None),
            (
                "a prefix above production's",
                env("dev", |e| e.ssm_prefix = "/booking/".into()),
                Some("SSM prefix /booking/ overlaps environment prod's /booking/prod/"),
            ),
            (
                "a prefix below production's",
                env("dev", |e| e.ssm_prefix = "/booking/prod/dev/".into()),
                Some("overlaps environment prod's /booking/prod/"),
            ),
            (
                "a sibling with a longer name is not below",
                env("dev", |e| e.ssm_prefix = "/booking/prod-copy/".into()),
                None,
            ),
            (
                "the same service of production's cluster",
                env("dev", |e| e.cluster = "booking-prod".into()),
                Some("lists service api of cluster booking-prod, which environment prod lists too"),
            ),
            (
                "another service in production's cluster",
                env("dev", |e| {
                    e.cluster = "booking-prod".into();
                    e.services[0].name = "dev-api".into();
                }),
                Some("cluster booking-prod, which belongs to production environment prod"),
            ),
            (
                "the same names in another account",
                env("dev", |e| {
                    e.account_id = "210987654321".into();
                    e.cluster = "booking-prod".into();
                    e.ssm_prefix = "/booking/prod/".into();
                }),
                None,
            ),
            (
                "the same names in another region",
                env("dev", |e| {
                    e.region = "eu-west-1".into();
                    e.ssm_prefix = "/booking/".into();
                }),
                None,
            ),
        ];
        for (case, other, expected) in cases {
            for (a, b) in [(&other, &prod), (&prod, &other)] {
                let found = overlap(a, b);
                match expected {
                    None => assert_eq!(found, None, "{case}"),
                    Some(fragment) => {
                        let m = found.unwrap_or_else(|| panic!("{case}: no overlap found"));
                        assert!(m.contains("dev") && m.contains("prod"), "{case}: {m}");
                        if a.name.as_str() == "dev" {
                            assert!(m.contains(fragment), "{case}: {m}");
                        }
                    }
                }
            }
        }
        // Previews share a cluster, one service each: no overlap.
        let a = env("preview-a", |e| {
            e.cluster = "previews".into();
            e.services[0].name = "preview-a-api".into();
            e.ttl_hours = Some(24);
        });
        let b = env("preview-b", |e| {
            e.cluster = "previews".into();
            e.services[0].name = "preview-b-api".into();
            e.ttl_hours = Some(24);
        });
        assert_eq!(overlap(&a, &b), None);
        // An environment never overlaps itself (a save of new settings).
        assert_eq!(overlap(&prod, &prod), None);
    }
}
