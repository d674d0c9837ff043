//! The SDK's errors as one domain error, classified by what a person must do.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::error::ErrorMetadata;

use crate::health::model::{Source, SourceError, SourceErrorKind};

/// What kind of failure an [`AwsError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AwsErrorKind {
    /// AWS refused for rate: try again later.
    Throttled,
    /// The credentials lack a permission, or are not accepted at all.
    AccessDenied,
    /// The named resource does not exist.
    NotFound,
    /// No answer: connection refused, DNS, timeout.
    Unreachable,
    /// Gantry sent something AWS refused as malformed, or AWS answered
    /// something Gantry does not understand.
    Invalid,
    Other,
}

/// An AWS call that failed. The message is safe to show: it carries AWS's
/// error code and text or the network cause, never credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct AwsError {
    pub kind: AwsErrorKind,
    /// AWS's error code ("ThrottlingException"), when AWS answered with one.
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn new(kind: AwsErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            message: message.into(),
        }
    }

    /// The response did not say what Gantry needs ("no services in the answer").
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(AwsErrorKind::Invalid, message)
    }

    /// Classifies any SDK error (see [`classify_code`] for the codes).
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        if let Some(creds) = find_in_chain::<CredentialsError>(err) {
            return credentials_error(creds);
        }
        match err {
            SdkError::ServiceError(ctx) => {
                let status = ctx.raw().status().as_u16();
                from_answer(ctx.err().code(), ctx.err().message(), status)
            }
            SdkError::TimeoutError(_) => Self::new(
                AwsErrorKind::Unreachable,
                format!("no answer in time: {}", innermost(err)),
            ),
            SdkError::DispatchFailure(failure) if failure.is_user() => {
                Self::invalid(format!("the request could not be sent: {}", innermost(err)))
            }
            SdkError::DispatchFailure(_) => Self::new(AwsErrorKind::Unreachable, innermost(err)),
            SdkError::ResponseError(ctx) => Self::invalid(format!(
                "unreadable answer (HTTP {}): {}",
                ctx.raw().status().as_u16(),
                innermost(err)
            )),
            SdkError::ConstructionFailure(_) => Self::invalid(format!(
                "the request could not be built: {}",
                innermost(err)
            )),
            _ => Self::new(AwsErrorKind::Other, innermost(err)),
        }
    }

    /// The same failure as the health model's error of `source`.
    pub fn into_source_error(self, source: Source) -> SourceError {
        let kind = match self.kind {
            AwsErrorKind::Throttled => SourceErrorKind::Throttled,
            AwsErrorKind::AccessDenied => SourceErrorKind::AccessDenied,
            AwsErrorKind::NotFound => SourceErrorKind::NotFound,
            AwsErrorKind::Unreachable => SourceErrorKind::Unreachable,
            AwsErrorKind::Invalid => SourceErrorKind::Invalid,
            AwsErrorKind::Other => SourceErrorKind::Other,
        };
        SourceError::new(source, kind, self.message)
    }
}

impl<E> From<SdkError<E, HttpResponse>> for AwsError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    fn from(err: SdkError<E, HttpResponse>) -> Self {
        let classified = Self::from_sdk(&err);
        tracing::debug!(kind = ?classified.kind, error = %aws_smithy_types::error::display::DisplayErrorContext(&err), "AWS call failed");
        classified
    }
}

/// An error answer from AWS: by code, else by HTTP status.
fn from_answer(code: Option<&str>, message: Option<&str>, status: u16) -> AwsError {
    let kind = code.and_then(classify_code).unwrap_or(match status {
        429 => AwsErrorKind::Throttled,
        401 | 403 => AwsErrorKind::AccessDenied,
        404 => AwsErrorKind::NotFound,
        400..=499 => AwsErrorKind::Invalid,
        _ => AwsErrorKind::Other,
    });
    let message = match (code, message.map(str::trim).filter(|m| !m.is_empty())) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        (Some(code), None) => code.to_owned(),
        (None, Some(text)) => format!("HTTP {status}: {text}"),
        (None, None) => format!("AWS answered HTTP {status}"),
    };
    AwsError {
        kind,
        code: code.map(str::to_owned),
        message,
    }
}

/// The kind an AWS error code names, across the services' spellings; `None`
/// for a code that says nothing general (the HTTP status decides then).
pub fn classify_code(code: &str) -> Option<AwsErrorKind> {
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "PriorRequestNotComplete",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "TransactionInProgressException",
    ];
    const DENIED: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "NotAuthorized",
        "OptInRequired",
    ];
    const INVALID: &[&str] = &[
        "ValidationException",
        "ValidationError",
        "ClientException",
        "SerializationException",
        "MissingParameter",
        "MalformedQueryString",
        "InvalidAction",
        "InvalidQueryParameter",
    ];
    if THROTTLED.contains(&code) {
        Some(AwsErrorKind::Throttled)
    } else if DENIED.contains(&code) {
        Some(AwsErrorKind::AccessDenied)
    } else if code.contains("NotFound") || code.starts_with("NoSuch") {
        Some(AwsErrorKind::NotFound)
    } else if INVALID.contains(&code) || code.starts_with("InvalidParameter") {
        Some(AwsErrorKind::Invalid)
    } else {
        None
    }
}

fn credentials_error(err: &CredentialsError) -> AwsError {
    match err {
        CredentialsError::CredentialsNotLoaded(_) => AwsError::new(
            AwsErrorKind::Other,
            "no AWS credentials found: give Gantry a task role or instance profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID",
        ),
        CredentialsError::ProviderTimedOut(_) => AwsError::new(
            AwsErrorKind::Unreachable,
            "timed out getting AWS credentials",
        ),
        _ => {
            // STS (assume role) or the credential endpoint did not answer.
            let unreachable = find_in_chain::<ConnectorError>(err)
                .is_some_and(|c| c.is_io() || c.is_timeout());
            AwsError::new(
                if unreachable {
                    AwsErrorKind::Unreachable
                } else {
                    AwsErrorKind::Other
                },
                format!("could not get AWS credentials: {}", innermost(err)),
            )
        }
    }
}

/// The first error of type `T` in `err`'s source chain (including `err`).
fn find_in_chain<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The innermost cause's text ("Connection refused (os error 111)"): the
/// outer layers only say "dispatch failure" or "io error". An AWS error answer
/// deep in the chain (STS refusing a role) reads "AccessDenied: <message>".
fn innermost(err: &(dyn StdError + 'static)) -> String {
    if let Some(meta) = find_in_chain::<ErrorMetadata>(err) {
        if let Some(code) = meta.code() {
            return match meta.message() {
                Some(message) => format!("{code}: {message}"),
                None => code.to_owned(),
            };
        }
    }
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    let text = last.to_string();
    if text.trim().is_empty() {
        err.to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
