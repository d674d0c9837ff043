//! SSM: the parameters under an environment's prefix (GetParametersByPath,
//! recursive, never decrypted) for health; and, for jobs, "ensure" writes
//! that compare before they put (every PutParameter makes a new version, so a
//! re-run step must not put an unchanged value again).

use aws_sdk_ssm::types::{Parameter, ParameterType};
use secrecy::{ExposeSecret, SecretString};

use super::{to_chrono, AwsError, AwsErrorKind, WriteOutcome};
use crate::health::snapshot::{ParameterInfo, ParameterKind};

/// Every parameter under `prefix`, by name, following `NextToken` (10 a page,
/// SSM's maximum). Asked **without decryption**: a SecureString's value is
/// never decrypted, and [`ParameterInfo::new`] drops whatever SSM returned for
/// it.
pub async fn parameters_under(
    client: &aws_sdk_ssm::Client,
    prefix: &str,
) -> Result<Vec<ParameterInfo>, AwsError> {
    let mut pages = client
        .get_parameters_by_path()
        .path(prefix)
        .recursive(true)
        .with_decryption(false)
        .max_results(10)
        .into_paginator()
        .send();
    let mut parameters = Vec::new();
    while let Some(page) = pages.next().await {
        for p in page?.parameters() {
            parameters.push(read_parameter(p)?);
        }
    }
    parameters.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(parameters)
}

fn read_parameter(p: &Parameter) -> Result<ParameterInfo, AwsError> {
    let name = p.name().unwrap_or_default().to_owned();
    let raw_kind = p.r#type().map(|t| t.as_str()).unwrap_or_default();
    let kind = ParameterKind::parse(raw_kind)
        .ok_or_else(|| AwsError::invalid(format!("parameter {name}: unknown type {raw_kind:?}")))?;
    Ok(ParameterInfo::new(
        name,
        kind,
        p.value().map(str::to_owned),
        p.version(),
        p.last_modified_date().and_then(to_chrono),
    ))
}

/// A parameter as a job step sees it before changing it. The value is
/// decrypted for the comparison only: it never leaves the server, is never
/// logged and `Debug` hides it.
#[derive(Debug, Clone)]
pub struct CurrentParameter {
    pub kind: ParameterKind,
    pub value: SecretString,
    pub version: i64,
}

/// `name` now (decrypted), or `None` when it does not exist.
pub async fn current(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<Option<CurrentParameter>, AwsError> {
    let output = match client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
    {
        Ok(output) => output,
        Err(e) => {
            let e = AwsError::from(e);
            return if e.kind == AwsErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
    };
    let p = output
        .parameter()
        .ok_or_else(|| AwsError::invalid(format!("GetParameter {name}: no parameter")))?;
    let raw_kind = p.r#type().map(|t| t.as_str()).unwrap_or_default();
    let kind = ParameterKind::parse(raw_kind)
        .ok_or_else(|| AwsError::invalid(format!("parameter {name}: unknown type {raw_kind:?}")))?;
    Ok(Some(CurrentParameter {
        kind,
        value: SecretString::from(p.value().unwrap_or_default().to_owned()),
        version: p.version(),
    }))
}

/// Makes `name` hold `value` as `kind`: reads it first and puts only when the
/// type or the value differs, so running the step again writes no new version.
pub async fn ensure_value(
    client: &aws_sdk_ssm::Client,
    name: &str,
    kind: ParameterKind,
    value: &SecretString,
) -> Result<WriteOutcome, AwsError> {
    if let Some(now) = current(client, name).await? {
        if now.kind == kind && now.value.expose_secret() == value.expose_secret() {
            return Ok(WriteOutcome::Unchanged);
        }
    }
    put_value(client, name, kind, value).await?;
    Ok(WriteOutcome::Written)
}

/// Writes `name` (a new version, even when it held `value` already): for
/// SecureStrings, whose values a plan never compares.
pub async fn put_value(
    client: &aws_sdk_ssm::Client,
    name: &str,
    kind: ParameterKind,
    value: &SecretString,
) -> Result<(), AwsError> {
    client
        .put_parameter()
        .name(name)
        .value(value.expose_secret())
        .r#type(ParameterType::from(kind.as_str()))
        .overwrite(true)
        .send()
        .await?;
    Ok(())
}

/// Makes sure `name` does not exist (deleting it if it does).
pub async fn ensure_absent(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<WriteOutcome, AwsError> {
    match client.delete_parameter().name(name).send().await {
        Ok(_) => Ok(WriteOutcome::Written),
        Err(e) => {
            let e = AwsError::from(e);
            if e.kind == AwsErrorKind::NotFound {
                Ok(WriteOutcome::Unchanged)
            } else {
                Err(e)
            }
        }
    }
}

/// How many versions `name` has had (GetParameterHistory): how a test counts
/// the puts a job made. 0 when it never existed.
pub async fn version_count(client: &aws_sdk_ssm::Client, name: &str) -> Result<usize, AwsError> {
    let mut pages = client
        .get_parameter_history()
        .name(name)
        .with_decryption(false)
        .max_results(50)
        .into_paginator()
        .send();
    let mut versions = 0;
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => versions += page.parameters().len(),
            Err(e) => {
                let e = AwsError::from(e);
                return if e.kind == AwsErrorKind::NotFound {
                    Ok(0)
                } else {
                    Err(e)
                };
            }
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use aws_sdk_ssm::types::ParameterType;

    use super::*;

    #[test]
    fn secure_strings_lose_their_value() {
        let secret = Parameter::builder()
            .name("/bb/prod/DATABASE_URL")
            .r#type(ParameterType::SecureString)
            .value("kms:alias/aws/ssm:postgres://u:p@h/db")
            .version(3)
            .build();
        let info = read_parameter(&secret).unwrap();
        assert_eq!(info.kind, ParameterKind::SecureString);
        assert_eq!(info.value, None);
        assert_eq!(info.version, 3);
    }
}
