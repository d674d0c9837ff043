//! RDS read: one DB instance (DescribeDBInstances).

use super::{AwsError, AwsErrorKind};
use crate::health::model::RdsObservation;

/// The instance `identifier`; `found: false` when RDS has none by that name.
pub async fn describe_instance(
    client: &aws_sdk_rds::Client,
    identifier: &str,
) -> Result<RdsObservation, AwsError> {
    let output = match client
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
    {
        Ok(output) => output,
        Err(err) => {
            let err = AwsError::from(err);
            if err.kind == AwsErrorKind::NotFound {
                return Ok(missing(identifier));
            }
            return Err(err);
        }
    };
    let Some(db) = output
        .db_instances()
        .iter()
        .find(|db| db.db_instance_identifier() == Some(identifier))
    else {
        return Ok(missing(identifier));
    };
    Ok(RdsObservation {
        found: true,
        identifier: identifier.to_owned(),
        status: db.db_instance_status().unwrap_or_default().to_owned(),
        multi_az: db.multi_az().unwrap_or(false),
    })
}

fn missing(identifier: &str) -> RdsObservation {
    RdsObservation {
        found: false,
        identifier: identifier.to_owned(),
        ..RdsObservation::default()
    }
}
