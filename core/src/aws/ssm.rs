//! SSM read: the parameters under an environment's prefix
//! (GetParametersByPath, recursive, never decrypted).

use aws_sdk_ssm::types::Parameter;

use super::{to_chrono, AwsError};
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
