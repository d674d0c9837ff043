//! Environment editing (admins only): the settings form on an environment's
//! page and on the overview (new environment), and its server functions.
//!
//! The form is plain text fields; the server turns them into an
//! `EnvironmentInput` and the core validates it, refusing the whole save with
//! one message per bad field (nothing is written then).

use leptos::prelude::*;

use super::dto::EnvironmentView;
use crate::components::form::INPUT;
use crate::error::AppError;

/// The settings form's fields, as typed (inputs are named `form[region]`…).
/// Checkboxes are present ("on") or absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvironmentForm {
    pub name: String,
    pub production: Option<String>,
    pub region: String,
    pub account_id: String,
    pub role_arn: String,
    pub cluster: String,
    pub database: String,
    /// One per line: `service container [health-url]`.
    pub services: String,
    pub ssm_prefix: String,
    pub cost_tag_key: String,
    pub cost_tag_value: String,
    pub monthly_budget_usd: String,
    pub approvals_required: String,
    /// Comma-separated.
    pub approver_groups: String,
    /// "From N distinct groups" (empty: 0).
    #[serde(default)]
    pub approval_distinct_groups: String,
    pub approval_expiry_hours: String,
    pub approval_reason_required: Option<String>,
    /// IANA name of the weekly freezes' time zone (empty: UTC).
    #[serde(default)]
    pub freeze_time_zone: String,
    /// `refuse` or `wait`.
    #[serde(default)]
    pub freeze_mode: String,
    /// One per line: `fri 15:00 | mon 08:00 | reason`.
    #[serde(default)]
    pub weekly_freezes: String,
    pub ttl_hours: String,
}

/// Creates or updates the environment the form names. Returns its name.
#[server(prefix = "/api", endpoint = "environments/save")]
pub async fn save_environment(form: EnvironmentForm) -> Result<String, AppError> {
    use gantry_core::auth::Permission;
    let user = crate::auth::require(Permission::Administer)?;
    let services = crate::services()?;
    let input = parse::input(form)?;
    // The form has no freeze windows: the core keeps the stored ones.
    let env = gantry_core::environments::service::save_settings(
        &services.db,
        &crate::auth::actor(&user, Permission::Administer),
        input,
        &services.approver_groups,
    )
    .await?;
    Ok(env.name.to_string())
}

/// Deletes a non-production environment (production ones are refused).
#[server(prefix = "/api", endpoint = "environments/delete")]
pub async fn delete_environment(name: String) -> Result<(), AppError> {
    use gantry_core::auth::Permission;
    let user = crate::auth::require(Permission::Administer)?;
    let services = crate::services()?;
    let name = gantry_core::shared::EnvName::parse(&name)
        .map_err(|_| AppError::not_found(format!("environment {name:?}")))?;
    gantry_core::environments::service::delete(
        &services.db,
        &crate::auth::actor(&user, Permission::Administer),
        &name,
    )
    .await?;
    Ok(())
}

/// Form text → `EnvironmentInput`, with a precise message per field that is
/// not even a number; everything else is the core's validation.
#[cfg(feature = "ssr")]
mod parse {
    use gantry_core::environments::model::{ServiceInput, WeeklyFreezeInput};
    use gantry_core::environments::EnvironmentInput;

    use super::EnvironmentForm as Form;
    use crate::error::AppError;

    fn optional(text: String) -> Option<String> {
        let t = text.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }

    /// `fri 15:00 | mon 08:00 | reason` lines.
    fn weekly(text: &str) -> Result<Vec<WeeklyFreezeInput>, AppError> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let parts: Vec<&str> = line.split('|').map(str::trim).collect();
                match parts.as_slice() {
                    [from, to, reason] => Ok(WeeklyFreezeInput {
                        from: (*from).to_owned(),
                        to: (*to).to_owned(),
                        reason: (*reason).to_owned(),
                    }),
                    _ => Err(AppError::invalid(format!(
                        "weekly_freezes: {line:?} is not \"fri 15:00 | mon 08:00 | reason\""
                    ))),
                }
            })
            .collect()
    }

    fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, AppError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse()
            .map(Some)
            .map_err(|_| AppError::invalid(format!("{field}: {t:?} is not a number")))
    }

    /// One service per line: `name container [health-url]`.
    fn services(text: &str) -> Result<Vec<ServiceInput>, AppError> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, line)| {
                let parts: Vec<&str> = line.split_whitespace().collect();
                match parts.as_slice() {
                    [name, container] => Ok(ServiceInput {
                        name: (*name).to_owned(),
                        container: (*container).to_owned(),
                        health_url: None,
                    }),
                    [name, container, url] => Ok(ServiceInput {
                        name: (*name).to_owned(),
                        container: (*container).to_owned(),
                        health_url: Some((*url).to_owned()),
                    }),
                    _ => Err(AppError::invalid(format!(
                        "services, line {}: write \"service container\" or \"service container health-url\"",
                        i + 1
                    ))),
                }
            })
            .collect()
    }

    pub fn input(f: Form) -> Result<EnvironmentInput, AppError> {
        Ok(EnvironmentInput {
            name: f.name.trim().to_owned(),
            production: f.production.is_some(),
            region: f.region,
            account_id: f.account_id,
            role_arn: optional(f.role_arn),
            cluster: f.cluster,
            services: services(&f.services)?,
            database: optional(f.database),
            ssm_prefix: f.ssm_prefix,
            cost_tag_key: optional(f.cost_tag_key),
            cost_tag_value: optional(f.cost_tag_value),
            monthly_budget_usd: number("monthly_budget_usd", &f.monthly_budget_usd)?,
            approvals_required: number("approvals_required", &f.approvals_required)?,
            approver_groups: f
                .approver_groups
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect(),
            approval_distinct_groups: number(
                "approval_distinct_groups",
                &f.approval_distinct_groups,
            )?,
            approval_expiry_hours: number("approval_expiry_hours", &f.approval_expiry_hours)?,
            approval_reason_required: Some(f.approval_reason_required.is_some()),
            freeze_windows: Vec::new(),
            weekly_freezes: weekly(&f.weekly_freezes)?,
            freeze_time_zone: optional(f.freeze_time_zone),
            freeze_mode: optional(f.freeze_mode),
            ttl_hours: number("ttl_hours", &f.ttl_hours)?,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn services_are_one_per_line() {
            let parsed =
                services("api django https://x.test/health/\n\n worker django \n").unwrap();
            assert_eq!(parsed.len(), 2);
            assert_eq!(
                parsed[0].health_url.as_deref(),
                Some("https://x.test/health/")
            );
            assert_eq!(parsed[1].name, "worker");
            let err = services("api").unwrap_err();
            assert!(err.to_string().contains("services, line 1"), "{err}");
        }

        #[test]
        fn numbers_name_their_field() {
            assert_eq!(
                number::<f64>("monthly_budget_usd", " 80.5 ").unwrap(),
                Some(80.5)
            );
            assert_eq!(number::<i64>("ttl_hours", "").unwrap(), None);
            let err = number::<i64>("ttl_hours", "two days").unwrap_err();
            assert_eq!(err.to_string(), "ttl_hours: \"two days\" is not a number");
        }
    }
}

#[component]
fn Field(
    label: &'static str,
    name: &'static str,
    value: String,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    view! {
        <label class="text-sm">
            {label}
            <input type="text" name=format!("form[{name}]") value=value class=INPUT />
            {(!hint.is_empty()).then(|| view! { <span class="text-xs text-slate-500">{hint}</span> })}
        </label>
    }
}

/// The settings form: empty for a new environment, filled for an edit.
#[component]
pub fn SettingsForm(
    action: ServerAction<SaveEnvironment>,
    #[prop(optional)] env: Option<EnvironmentView>,
) -> impl IntoView {
    let editing = env.is_some();
    let e = env.unwrap_or_else(|| EnvironmentView {
        name: String::new(),
        production: false,
        region: "us-east-1".into(),
        account_id: String::new(),
        role_arn: None,
        cluster: String::new(),
        services: vec![],
        ssm_prefix: String::new(),
        cost_tag: None,
        monthly_budget_cents: None,
        required_approvals: 0,
        approver_groups: vec![],
        distinct_groups: 0,
        approval_expiry_hours: 24,
        reason_required: false,
        freeze_windows: vec![],
        freeze_time_zone: "UTC".into(),
        freeze_mode: "refuse".into(),
        weekly_freezes: vec![],
        expires_at: None,
        ttl_hours: None,
        database: None,
        health: None,
    });
    let (tag_key, tag_value) = e
        .cost_tag
        .as_deref()
        .and_then(|t| t.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .unwrap_or_default();
    let services = e
        .services
        .iter()
        .map(|s| match &s.health_url {
            Some(url) => format!("{} {} {url}", s.name, s.container),
            None => format!("{} {}", s.name, s.container),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let budget = e
        .monthly_budget_cents
        .map(|c| format!("{:.2}", c as f64 / 100.0))
        .unwrap_or_default();
    let result = move || {
        action.value().get().map(|r| match r {
            Ok(name) => view! {
                <p role="status" class="text-sm text-emerald-700">
                    "Saved "<a class="underline" href=format!("/environments/{name}")>{name.clone()}</a>"."
                </p>
            }
            .into_any(),
            Err(e) => view! { <p role="alert" class="text-sm text-rose-700" data-testid="save-error">{e.to_string()}</p> }
                .into_any(),
        })
    };
    view! {
        <ActionForm action attr:data-testid="environment-form" attr:class="space-y-3">
            <div class="grid gap-3 sm:grid-cols-3">
                {if editing {
                    view! {
                        <label class="text-sm">
                            "Name"
                            <input type="text" name="form[name]" value=e.name.clone() readonly class=format!("{INPUT} bg-slate-100") />
                        </label>
                    }
                        .into_any()
                } else {
                    view! { <Field label="Name" name="name" value=String::new() hint="lowercase; preview-* needs a TTL" /> }.into_any()
                }}
                <Field label="Region" name="region" value=e.region.clone() />
                <Field label="Account id" name="account_id" value=e.account_id.clone() />
                <Field label="Role to assume (optional)" name="role_arn" value=e.role_arn.clone().unwrap_or_default() />
                <Field label="ECS cluster" name="cluster" value=e.cluster.clone() />
                <Field label="RDS instance (optional)" name="database" value=e.database.clone().unwrap_or_default() />
                <Field label="SSM prefix" name="ssm_prefix" value=e.ssm_prefix.clone() hint="leading and trailing /" />
                <Field label="Cost tag key" name="cost_tag_key" value=tag_key />
                <Field label="Cost tag value" name="cost_tag_value" value=tag_value />
                <Field label="Monthly budget (USD)" name="monthly_budget_usd" value=budget />
                <Field label="Approvals required" name="approvals_required" value=e.required_approvals.to_string() />
                <Field label="Approver groups (comma-separated)" name="approver_groups" value=e.approver_groups.join(", ") />
                <Field label="From this many different groups (0: any mix)" name="approval_distinct_groups" value=e.distinct_groups.to_string() />
                <Field label="Approval valid for (hours)" name="approval_expiry_hours" value=e.approval_expiry_hours.to_string() />
                <Field label="TTL hours (preview only)" name="ttl_hours" value=e.ttl_hours.map(|h| h.to_string()).unwrap_or_default() />
            </div>
            <label class="block text-sm">
                "Services, one per line: service container [health-url]"
                <textarea name="form[services]" rows="3" class=format!("{INPUT} font-mono")>{services}</textarea>
            </label>
            <div class="flex flex-wrap gap-6 text-sm">
                <label><input type="checkbox" name="form[production]" value="on" checked=e.production />" Production"</label>
                <label><input type="checkbox" name="form[approval_reason_required]" value="on" checked=e.reason_required />" Approvals need a reason"</label>
                <Field label="Freeze time zone (IANA)" name="freeze_time_zone" value=e.freeze_time_zone.clone() />
                <label class="block text-sm">
                    "During a freeze"
                    <select name="form[freeze_mode]" class=INPUT>
                        <option value="refuse" selected=e.freeze_mode == "refuse">"refuse production changes"</option>
                        <option value="wait" selected=e.freeze_mode == "wait">"approved changes wait for its end"</option>
                    </select>
                </label>
                <label class="block text-sm">
                    "Weekly freezes, one per line: fri 15:00 | mon 08:00 | reason"
                    <textarea name="form[weekly_freezes]" rows="2" class=format!("{INPUT} font-mono")>{e.weekly_freezes.join("\n")}</textarea>
                </label>
            </div>
            <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                {if editing { "Save settings" } else { "Create environment" }}
            </button>
            {result}
        </ActionForm>
    }
}

/// The delete button of a non-production environment.
#[component]
pub fn DeleteEnvironment(name: String) -> impl IntoView {
    let action = ServerAction::<DeleteEnvironment>::new();
    let result = move || {
        action.value().get().map(|r| match r {
            Ok(()) => view! {
                <p role="status" class="text-sm text-emerald-700">
                    "Deleted. "<a class="underline" href="/environments">"Back to environments"</a>
                </p>
            }
            .into_any(),
            Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }
                .into_any(),
        })
    };
    view! {
        <ActionForm action attr:class="mt-4 border-t border-slate-100 pt-3">
            <input type="hidden" name="name" value=name />
            <button type="submit" class="text-sm text-rose-700 underline">"Delete this environment"</button>
            {result}
        </ActionForm>
    }
}
