//! Throttling and access denied, end to end through the SDK clients: moto
//! cannot produce either, so these tests point the clients at
//! [`FakeAwsEndpoint`], a **test double of an AWS endpoint** on loopback that
//! answers every request with the error AWS would send (JSON protocol for ECS
//! and SSM, query-protocol XML for ELBv2, RDS and CloudWatch).

#![expect(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use gantry_core::aws::testing::{demo_environment, demo_environment_input};
use gantry_core::aws::{AwsCallCounter, AwsClients, AwsSettings, StaticCredentials};
use gantry_core::environments::model::{Environment, EnvironmentInput};
use gantry_core::health::model::{Component, HealthStatus, SourceErrorKind};
use gantry_core::health::snapshot::EnvironmentSnapshot;
use gantry_core::health::source::{AwsHealthSource, HealthSource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Test double of an AWS endpoint: every request gets the same error, as AWS
/// writes it for the request's protocol. Counts the requests it received.
struct FakeAwsEndpoint {
    url: String,
    received: Arc<AtomicU64>,
    /// The bodies of the requests received.
    bodies: Arc<Mutex<Vec<String>>>,
}

impl FakeAwsEndpoint {
    /// `json_code` for the JSON protocol (`ThrottlingException`),
    /// `query_code` for the query protocol (`Throttling`).
    async fn start(status: u16, json_code: &'static str, query_code: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(AtomicU64::new(0));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (counter, seen) = (Arc::clone(&received), Arc::clone(&bodies));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (counter, seen) = (Arc::clone(&counter), Arc::clone(&seen));
                tokio::spawn(async move {
                    let _ = answer(stream, status, json_code, query_code, &counter, &seen).await;
                });
            }
        });
        Self {
            url,
            received,
            bodies,
        }
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }
}

/// Reads one request and answers it with the error (no keep-alive).
async fn answer(
    mut stream: TcpStream,
    status: u16,
    json_code: &str,
    query_code: &str,
    received: &AtomicU64,
    bodies: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    received.fetch_add(1, Ordering::SeqCst);
    bodies
        .lock()
        .unwrap()
        .push(String::from_utf8_lossy(&buf[header_end..]).into_owned());
    let reason = if status == 403 {
        "Forbidden"
    } else {
        "Bad Request"
    };
    let (content_type, extra, body) = if head.contains("content-type: application/x-amz-json") {
        (
            "application/x-amz-json-1.1",
            format!("x-amzn-ErrorType: {json_code}\r\n"),
            format!(
                r#"{{"__type":"{json_code}","message":"Rate exceeded or not authorized (test double)"}}"#
            ),
        )
    } else {
        (
            "text/xml",
            String::new(),
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{query_code}</Code>\
                 <Message>Rate exceeded or not authorized (test double)</Message></Error>\
                 <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
            ),
        )
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\n{extra}\
         x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

async fn observe_through(
    fake: &FakeAwsEndpoint,
    max_attempts: u32,
) -> (EnvironmentSnapshot, AwsCallCounter) {
    observe_env_through(fake, max_attempts, demo_environment("dev")).await
}

async fn observe_env_through(
    fake: &FakeAwsEndpoint,
    max_attempts: u32,
    env: Environment,
) -> (EnvironmentSnapshot, AwsCallCounter) {
    let calls = AwsCallCounter::new();
    let settings = AwsSettings {
        endpoint_url: Some(fake.url.parse().unwrap()),
        static_credentials: Some(StaticCredentials::moto()),
        max_attempts,
        ..AwsSettings::default()
    };
    let source = AwsHealthSource::new(AwsClients::new(settings, calls.clone())).unwrap();
    let snap = source.observe(&env, None, Utc::now()).await;
    (snap, calls)
}

fn reason(snap: &EnvironmentSnapshot, component: Component) -> String {
    snap.services[0]
        .health
        .parts
        .iter()
        .find(|(c, _)| *c == component)
        .map(|(_, a)| a.reason.clone())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_then_unknown() {
    let fake = FakeAwsEndpoint::start(400, "ThrottlingException", "Throttling").await;
    let (snap, calls) = observe_through(&fake, 2).await;

    assert_eq!(
        reason(&snap, Component::Ecs),
        "ecs: AWS throttled the request; will retry at the next poll"
    );
    assert_eq!(
        reason(&snap, Component::Alarms),
        "cloudwatch: AWS throttled the request; will retry at the next poll"
    );
    let database = snap.database.as_ref().unwrap();
    assert_eq!(
        database.health.reason,
        "rds: AWS throttled the request; will retry at the next poll"
    );
    assert_eq!(
        snap.parameters.error.as_ref().unwrap().kind,
        SourceErrorKind::Throttled
    );
    assert_eq!(snap.overall.status, HealthStatus::Unknown);
    // DescribeServices, DescribeAlarms, DescribeDBInstances and
    // GetParametersByPath, each tried twice: the counter counts attempts, and
    // exactly the requests the endpoint received.
    assert_eq!(calls.total(), 8, "{:?}", calls.by_operation());
    assert_eq!(fake.received(), 8);
    for (_, n) in calls.by_operation() {
        assert_eq!(n, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_names_the_permission() {
    let fake = FakeAwsEndpoint::start(400, "AccessDeniedException", "AccessDenied").await;
    let (snap, calls) = observe_through(&fake, 3).await;

    assert_eq!(
        reason(&snap, Component::Ecs),
        "ecs: access denied — grant ecs:DescribeServices to Gantry's role"
    );
    assert_eq!(
        reason(&snap, Component::Alarms),
        "cloudwatch: access denied — grant cloudwatch:DescribeAlarms to Gantry's role"
    );
    assert_eq!(
        snap.database.as_ref().unwrap().health.reason,
        "rds: access denied — grant rds:DescribeDBInstances to Gantry's role"
    );
    assert_eq!(
        snap.parameters.error.as_ref().unwrap().kind,
        SourceErrorKind::AccessDenied
    );
    // Not retried.
    assert_eq!(calls.total(), 4, "{:?}", calls.by_operation());
    assert_eq!(fake.received(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_role_is_a_credentials_problem() {
    let fake = FakeAwsEndpoint::start(403, "AccessDeniedException", "AccessDenied").await;
    let env = EnvironmentInput {
        role_arn: Some("arn:aws:iam::123456789012:role/gantry-reader".into()),
        ..demo_environment_input("dev")
    }
    .validate()
    .unwrap();
    let (snap, calls) = observe_env_through(&fake, 1, env).await;

    let ecs = reason(&snap, Component::Ecs);
    assert_eq!(
        ecs,
        "ecs: could not get AWS credentials: AccessDenied: Rate exceeded or not authorized (test double)"
    );
    assert_eq!(snap.overall.status, HealthStatus::Unknown);
    // Only STS was asked (the clients never sent a request of their own),
    // for the environment's role, as session "gantry".
    assert_eq!(calls.total(), 0, "{:?}", calls.by_operation());
    let bodies = fake.bodies.lock().unwrap().clone();
    assert!(!bodies.is_empty());
    for body in &bodies {
        assert!(body.contains("Action=AssumeRole"), "{body}");
        assert!(body.contains("RoleSessionName=gantry"), "{body}");
        assert!(
            body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fgantry-reader"),
            "{body}"
        );
    }
}
