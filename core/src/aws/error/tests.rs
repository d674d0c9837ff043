use std::time::Duration;

use super::*;
use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

type Err = SdkError<DescribeServicesError, HttpResponse>;

fn answer(status: u16, code: Option<&str>, message: &str) -> Err {
    let mut meta = ErrorMetadata::builder().message(message);
    if let Some(code) = code {
        meta = meta.code(code);
    }
    SdkError::service_error(
        DescribeServicesError::generic(meta.build()),
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
    )
}

fn classify(err: Err) -> AwsError {
    AwsError::from(err)
}

#[test]
fn service_errors_by_code() {
    use AwsErrorKind::*;
    let cases = [
        ("ThrottlingException", Throttled),
        ("Throttling", Throttled),
        ("TooManyRequestsException", Throttled),
        ("RequestLimitExceeded", Throttled),
        ("RequestThrottled", Throttled),
        ("AccessDenied", AccessDenied),
        ("AccessDeniedException", AccessDenied),
        ("UnauthorizedOperation", AccessDenied),
        ("UnrecognizedClientException", AccessDenied),
        ("InvalidClientTokenId", AccessDenied),
        ("ExpiredToken", AccessDenied),
        ("ClusterNotFoundException", NotFound),
        ("ServiceNotFoundException", NotFound),
        ("DBInstanceNotFound", NotFound),
        ("DBInstanceNotFoundFault", NotFound),
        ("ParameterNotFound", NotFound),
        ("TargetGroupNotFound", NotFound),
        ("ResourceNotFoundException", NotFound),
        ("ValidationException", Invalid),
        ("ValidationError", Invalid),
        ("InvalidParameterException", Invalid),
        ("InvalidParameterValue", Invalid),
        ("InvalidParameterCombination", Invalid),
        ("ServerException", Other),
        ("InternalFailure", Other),
    ];
    for (code, kind) in cases {
        // AWS sends its own failures as HTTP 500, the others as 4xx.
        let status = if kind == Other { 500 } else { 400 };
        let err = classify(answer(status, Some(code), "some text"));
        assert_eq!(err.kind, kind, "{code}");
        assert_eq!(err.code.as_deref(), Some(code));
        assert_eq!(err.message, format!("{code}: some text"));
    }
}

#[test]
fn service_errors_without_a_known_code_go_by_status() {
    use AwsErrorKind::*;
    for (status, kind) in [
        (429, Throttled),
        (403, AccessDenied),
        (401, AccessDenied),
        (404, NotFound),
        (400, Invalid),
        (500, Other),
        (503, Other),
    ] {
        let err = classify(answer(status, None, ""));
        assert_eq!(err.kind, kind, "HTTP {status}");
        assert_eq!(err.message, format!("AWS answered HTTP {status}"));
    }
    // A code that names nothing general: the status decides.
    assert_eq!(classify(answer(429, Some("Whatever"), "x")).kind, Throttled);
}

#[test]
fn transport_errors_are_unreachable() {
    let refused = std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "Connection refused (os error 111)",
    );
    let err = classify(SdkError::dispatch_failure(ConnectorError::io(Box::new(
        refused,
    ))));
    assert_eq!(err.kind, AwsErrorKind::Unreachable);
    assert_eq!(err.message, "Connection refused (os error 111)");

    let err = classify(SdkError::timeout_error(
        "operation timeout (all attempts including retries) occurred after 10s",
    ));
    assert_eq!(err.kind, AwsErrorKind::Unreachable);
    assert!(err
        .message
        .starts_with("no answer in time: operation timeout"));

    let err = classify(SdkError::dispatch_failure(ConnectorError::timeout(
        "connect timed out".into(),
    )));
    assert_eq!(err.kind, AwsErrorKind::Unreachable);

    let err = classify(SdkError::dispatch_failure(ConnectorError::user(
        "bad header".into(),
    )));
    assert_eq!(err.kind, AwsErrorKind::Invalid);
    let err = classify(SdkError::construction_failure("no region"));
    assert_eq!(err.kind, AwsErrorKind::Invalid);
}

#[test]
fn credential_problems_say_so() {
    let err = classify(SdkError::dispatch_failure(ConnectorError::other(
        Box::new(CredentialsError::not_loaded("no providers in chain")),
        None,
    )));
    assert_eq!(err.kind, AwsErrorKind::Other);
    assert!(
        err.message.starts_with("no AWS credentials found"),
        "{}",
        err.message
    );

    let err = classify(SdkError::dispatch_failure(ConnectorError::other(
        Box::new(CredentialsError::provider_timed_out(Duration::from_secs(5))),
        None,
    )));
    assert_eq!(err.kind, AwsErrorKind::Unreachable);

    let err = classify(SdkError::dispatch_failure(ConnectorError::other(
        Box::new(CredentialsError::provider_error(
            "AccessDenied: not allowed to assume",
        )),
        None,
    )));
    assert_eq!(err.kind, AwsErrorKind::Other);
    assert_eq!(
        err.message,
        "could not get AWS credentials: AccessDenied: not allowed to assume"
    );
}

#[test]
fn maps_to_the_health_model() {
    let err = classify(answer(400, Some("ThrottlingException"), "Rate exceeded"));
    let source = err.into_source_error(Source::Cloudwatch);
    assert_eq!(source.source, Source::Cloudwatch);
    assert_eq!(source.kind, SourceErrorKind::Throttled);
    assert_eq!(source.message, "ThrottlingException: Rate exceeded");
    let reason = crate::health::rules::source_error(&source).reason;
    assert_eq!(
        reason,
        "cloudwatch: AWS throttled the request; will retry at the next poll"
    );

    let denied = classify(answer(
        400,
        Some("AccessDeniedException"),
        "User: x is not authorized",
    ))
    .into_source_error(Source::Ecs);
    assert_eq!(
        crate::health::rules::source_error(&denied).reason,
        "ecs: access denied — grant ecs:DescribeServices to Gantry's role"
    );
}
