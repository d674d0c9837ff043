//! What a person asks for: the raw form ([`JobForm`], every field text as a
//! browser or the command line sends it), parsed at the edge into a typed
//! [`JobRequest`] with a precise message per refusal; and the request's plan.

use serde::{Deserialize, Serialize};

use super::configure::ConfigureRequest;
use super::deploy::{self, DeployRequest, RollbackRequest};
use super::provision::template::{ProvisionTemplate, MAX_PREVIEW_TTL_HOURS};
use super::provision::ProvisionRequest;
use super::scale::{self, ScaleRequest};
use crate::aws::EnvClients;
use crate::environments::model::Environment;
use crate::image::ImageRef;
use crate::jobs::model::{JobKind, Plan};
use crate::jobs::seal::Sealer;
use crate::jobs::{JobsError, JobsResult};

/// The job form as submitted: the kind and the fields it uses (the others
/// are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobForm {
    pub kind: String,
    #[serde(default)]
    pub service: String,
    /// Scale: the desired task count.
    #[serde(default)]
    pub desired: String,
    /// Deploy: the image reference.
    #[serde(default)]
    pub image: String,
    /// Roll back: the revision (`family:revision` or its ARN).
    #[serde(default)]
    pub revision: String,
    /// Provision a new preview environment: its time-to-live in hours
    /// (empty: the template's).
    #[serde(default)]
    pub ttl_hours: String,
    /// Update configuration: String values, `NAME=value` per line.
    #[serde(default)]
    pub set: String,
    /// Update configuration: SecureString values, `NAME=token` per line,
    /// sealed on the server ([`super::configure::seal_lines`]).
    #[serde(default)]
    pub sealed: String,
    /// Update configuration: names to delete, one per line.
    #[serde(default)]
    pub delete: String,
    /// Why the person asks (shown to approvers; not part of the request).
    #[serde(default)]
    pub reason: String,
}

/// A validated request for one job kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobRequest {
    Scale(ScaleRequest),
    Deploy(DeployRequest),
    Rollback(RollbackRequest),
    Provision(ProvisionRequest),
    Configure(ConfigureRequest),
    /// Everything the environment has in AWS (services, revisions,
    /// parameters).
    Teardown,
}

impl JobRequest {
    /// Parses `form` for `env`, naming the first field to fix.
    pub fn parse(form: &JobForm, env: &Environment, sealer: Option<&Sealer>) -> JobsResult<Self> {
        let kind = JobKind::parse(form.kind.trim())?;
        if kind == JobKind::Configure {
            return ConfigureRequest::parse(env, &form.set, &form.sealed, &form.delete, sealer)
                .map(JobRequest::Configure);
        }
        if kind == JobKind::Teardown {
            return Ok(JobRequest::Teardown);
        }
        if kind == JobKind::Provision {
            return Self::parse_provision(form);
        }
        let service = form.service.trim();
        let service = if service.is_empty() && env.services.len() == 1 {
            env.services[0].name.clone()
        } else if service.is_empty() {
            return Err(JobsError::Validation(format!(
                "choose a service of {}: {}",
                env.name,
                env.services
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        } else {
            service.to_owned()
        };
        if env.service(&service).is_none() {
            return Err(JobsError::Validation(format!(
                "environment {} has no service {service:?}",
                env.name
            )));
        }
        match kind {
            JobKind::Scale => {
                let raw = form.desired.trim();
                let desired = raw.parse::<i32>().map_err(|_| {
                    JobsError::Validation(format!(
                        "the desired count must be a whole number of tasks, not {raw:?}"
                    ))
                })?;
                let request = ScaleRequest { service, desired };
                request.validate(env)?;
                Ok(JobRequest::Scale(request))
            }
            JobKind::Deploy => {
                let image = ImageRef::parse(form.image.trim())
                    .map_err(|e| JobsError::Validation(format!("image: {e}")))?;
                Ok(JobRequest::Deploy(DeployRequest { service, image }))
            }
            JobKind::Rollback => Ok(JobRequest::Rollback(RollbackRequest {
                service,
                revision: form.revision.trim().to_owned(),
            })),
            JobKind::Configure => {
                ConfigureRequest::parse(env, &form.set, &form.sealed, &form.delete, sealer)
                    .map(JobRequest::Configure)
            }
            JobKind::Teardown => Ok(JobRequest::Teardown),
            JobKind::Provision => Self::parse_provision(form),
        }
    }

    fn parse_provision(form: &JobForm) -> JobsResult<Self> {
        let desired = match form.desired.trim() {
            "" => None,
            raw => Some(raw.parse::<i32>().map_err(|_| {
                JobsError::Validation(format!(
                    "the desired count must be a whole number of tasks, not {raw:?}"
                ))
            })?),
        };
        let ttl_hours = match form.ttl_hours.trim() {
            "" => None,
            raw => Some(
                raw.parse::<u32>()
                    .ok()
                    .filter(|h| (1..=MAX_PREVIEW_TTL_HOURS).contains(h))
                    .ok_or_else(|| {
                        JobsError::Validation(format!(
                            "the time-to-live must be between 1 and {MAX_PREVIEW_TTL_HOURS} hours, not {raw:?}"
                        ))
                    })?,
            ),
        };
        Ok(JobRequest::Provision(ProvisionRequest {
            desired,
            ttl_hours,
        }))
    }

    pub fn kind(&self) -> JobKind {
        match self {
            JobRequest::Scale(_) => JobKind::Scale,
            JobRequest::Deploy(_) => JobKind::Deploy,
            JobRequest::Rollback(_) => JobKind::Rollback,
            JobRequest::Provision(_) => JobKind::Provision,
            JobRequest::Configure(_) => JobKind::Configure,
            JobRequest::Teardown => JobKind::Teardown,
        }
    }

    /// The form that asks for this request again (to plan it anew after a
    /// stale or failed run). SecureString values are left out: the person
    /// types them again.
    pub fn form(&self) -> JobForm {
        let mut form = JobForm {
            kind: self.kind().as_str().to_owned(),
            ..JobForm::default()
        };
        match self {
            JobRequest::Scale(r) => {
                form.service = r.service.clone();
                form.desired = r.desired.to_string();
            }
            JobRequest::Deploy(r) => {
                form.service = r.service.clone();
                form.image = r.image.to_string();
            }
            JobRequest::Rollback(r) => {
                form.service = r.service.clone();
                form.revision = r.revision.clone();
            }
            JobRequest::Provision(r) => {
                form.desired = r.desired.map(|d| d.to_string()).unwrap_or_default();
                form.ttl_hours = r.ttl_hours.map(|h| h.to_string()).unwrap_or_default();
            }
            JobRequest::Configure(r) => {
                use super::configure::Change;
                let mut set = Vec::new();
                let mut delete = Vec::new();
                for (name, change) in &r.changes {
                    match change {
                        Change::Set { value } => set.push(format!("{name}={value}")),
                        Change::Delete => delete.push(name.clone()),
                        Change::SetSecure { .. } => {}
                    }
                }
                form.set = set.join("\n");
                form.delete = delete.join("\n");
            }
            JobRequest::Teardown => {}
        }
        form
    }

    /// The request a job stored (its `params`), if it parses.
    pub fn from_params(params: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(params.clone()).ok()
    }

    /// The request as stored with the job (SecureString values only sealed).
    pub fn params(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The plan, read from the environment's live AWS state (provisioning
    /// follows `template`).
    pub async fn plan(
        &self,
        aws: &EnvClients,
        env: &Environment,
        template: Option<&ProvisionTemplate>,
        sealer: Option<&Sealer>,
    ) -> JobsResult<Plan> {
        let mut plan = self.plan_steps(aws, env, template, sealer).await?;
        plan.compute = super::compute::read(aws, env, &plan.steps).await?;
        Ok(plan)
    }

    async fn plan_steps(
        &self,
        aws: &EnvClients,
        env: &Environment,
        template: Option<&ProvisionTemplate>,
        sealer: Option<&Sealer>,
    ) -> JobsResult<Plan> {
        match self {
            JobRequest::Configure(r) => super::configure::plan(aws, env, r, sealer).await,
            JobRequest::Provision(r) => {
                let template = template.ok_or_else(|| {
                    JobsError::Validation(
                        "this Gantry has no provisioning template ([provision] in its config)"
                            .to_owned(),
                    )
                })?;
                super::provision::plan(aws, env, template, r).await
            }
            JobRequest::Scale(r) => scale::plan(aws, env, r).await,
            JobRequest::Deploy(r) => deploy::plan(aws, env, r).await,
            JobRequest::Rollback(r) => deploy::plan_rollback(aws, env, r).await,
            JobRequest::Teardown => super::teardown::plan(aws, env).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        crate::environments::model::EnvironmentInput {
            name: "dev".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            cluster: "booking-dev".into(),
            ssm_prefix: "/booking/dev/".into(),
            services: vec![
                crate::environments::model::ServiceInput {
                    name: "web".into(),
                    container: "django".into(),
                    health_url: None,
                },
                crate::environments::model::ServiceInput {
                    name: "worker".into(),
                    container: "celery".into(),
                    health_url: None,
                },
            ],
            ..Default::default()
        }
        .validate()
        .expect("a valid environment")
    }

    fn form(kind: &str) -> JobForm {
        JobForm {
            kind: kind.into(),
            service: "web".into(),
            desired: "3".into(),
            image: "registry.example.com/booking:1.4.2".into(),
            revision: "booking:3".into(),
            ttl_hours: String::new(),
            set: "DJANGO_DEBUG=false".into(),
            ..JobForm::default()
        }
    }

    fn refusal(form: &JobForm) -> String {
        match JobRequest::parse(form, &env(), None) {
            Err(JobsError::Validation(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn each_kind_parses_its_fields() {
        assert_eq!(
            JobRequest::parse(&form("scale"), &env(), None).ok(),
            Some(JobRequest::Scale(ScaleRequest {
                service: "web".into(),
                desired: 3
            }))
        );
        let deploy = JobRequest::parse(&form("deploy"), &env(), None).expect("deploy");
        assert_eq!(deploy.kind(), JobKind::Deploy);
        assert_eq!(
            deploy.params()["image"],
            "registry.example.com/booking:1.4.2"
        );
        let rollback = JobRequest::parse(&form("rollback"), &env(), None).expect("rollback");
        assert_eq!(rollback.params()["revision"], "booking:3");
    }

    #[test]
    fn a_stored_request_gives_back_its_form() {
        for kind in [
            "scale",
            "deploy",
            "rollback",
            "teardown",
            "provision",
            "configure",
        ] {
            let mut f = form(kind);
            f.ttl_hours = if kind == "provision" {
                "12".into()
            } else {
                String::new()
            };
            let request = JobRequest::parse(&f, &env(), None).expect(kind);
            let again = JobRequest::from_params(&request.params()).expect("stored params parse");
            assert_eq!(again, request, "{kind}");
            let replanned = JobRequest::parse(&again.form(), &env(), None).expect(kind);
            assert_eq!(
                replanned, request,
                "{kind}: the form plans the same request"
            );
        }
    }

    #[test]
    fn bad_input_is_refused_with_the_field_named() {
        let mut f = form("scale");
        f.desired = "-1".into();
        assert!(refusal(&f).contains("between 0 and 50"), "{}", refusal(&f));
        f.desired = "51".into();
        assert!(refusal(&f).contains("between 0 and 50"));
        f.desired = "three".into();
        assert!(refusal(&f).contains("whole number"));
        let mut f = form("deploy");
        f.image = "booking".into();
        assert!(refusal(&f).starts_with("image: "), "{}", refusal(&f));
        f.image = "Registry/Booking:1".into();
        assert!(refusal(&f).contains("image"));
        let mut f = form("deploy");
        f.service = "api".into();
        assert!(refusal(&f).contains("no service \"api\""));
        f.service = String::new();
        assert!(refusal(&f).contains("choose a service"), "{}", refusal(&f));
        assert!(refusal(&form("explode")).contains("unknown job kind"));
        let mut f = form("configure");
        f.set = "../prod/DJANGO_DEBUG=true".into();
        assert!(
            refusal(&f).contains("not a name under /booking/dev/"),
            "{}",
            refusal(&f)
        );
        f.set = "/booking/prod/DJANGO_DEBUG=true".into();
        assert!(refusal(&f).contains("not a name under"), "{}", refusal(&f));
        f.set = format!("BIG={}", "x".repeat(4097));
        assert!(
            refusal(&f).contains("1 to 4096 bytes, not 4097"),
            "{}",
            refusal(&f)
        );
        f.set = "DJANGO_DEBUG".into();
        assert!(refusal(&f).contains("is not NAME=value"), "{}", refusal(&f));
        f.set = "A=1".into();
        f.delete = "A".into();
        assert!(refusal(&f).contains("changed twice"), "{}", refusal(&f));
        f.set = String::new();
        f.delete = String::new();
        assert!(
            refusal(&f).contains("at least one parameter"),
            "{}",
            refusal(&f)
        );
        f.sealed = "DJANGO_SECRET_KEY=abc".into();
        assert!(
            refusal(&f).contains("no [jobs] secrets_key"),
            "{}",
            refusal(&f)
        );
        f.sealed = String::new();
        f.set = "DJANGO_DEBUG=false".into();
        f.delete = "/booking/dev/OLD_FLAG".into();
        match JobRequest::parse(&f, &env(), None) {
            Ok(JobRequest::Configure(r)) => assert_eq!(
                r.changes.keys().collect::<Vec<_>>(),
                ["/booking/dev/DJANGO_DEBUG", "/booking/dev/OLD_FLAG"]
            ),
            other => panic!("{other:?}"),
        }
        let mut f = form("provision");
        f.desired = String::new();
        f.ttl_hours = "0".into();
        assert!(
            refusal(&f).contains("between 1 and 720 hours"),
            "{}",
            refusal(&f)
        );
        f.ttl_hours = "48".into();
        assert_eq!(
            JobRequest::parse(&f, &env(), None).ok(),
            Some(JobRequest::Provision(ProvisionRequest {
                desired: None,
                ttl_hours: Some(48)
            }))
        );
        assert_eq!(
            JobRequest::parse(&form("teardown"), &env(), None).ok(),
            Some(JobRequest::Teardown)
        );
    }
}
