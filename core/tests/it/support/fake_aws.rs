//! A **test double of an AWS endpoint**, shared by the tests that need AWS
//! to fail in ways moto cannot (throttling, access denied, Cost Explorer not
//! enabled): a loopback HTTP server that answers every request with the
//! error AWS would send, in the request's protocol (JSON for ECS, SSM and
//! Cost Explorer; query-protocol XML for ELBv2, RDS and CloudWatch).
//! Core's `support` module; the server's test binary includes it with `#[path]`.

#![allow(
    dead_code,
    reason = "each of the two test binaries including it uses a different part"
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Test double of an AWS endpoint: every request gets the same error, as AWS
/// writes it for the request's protocol. Counts the requests it received.
pub struct FakeAwsEndpoint {
    pub url: String,
    received: Arc<AtomicU64>,
    /// The bodies of the requests received.
    bodies: Arc<Mutex<Vec<String>>>,
}

impl FakeAwsEndpoint {
    /// `json_code` for the JSON protocol (`ThrottlingException`),
    /// `query_code` for the query protocol (`Throttling`).
    pub async fn start(status: u16, json_code: &'static str, query_code: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the bound address")
        );
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

    /// AWS settings that send every request here, with moto's static keys
    /// and the SDK's standard retry of `max_attempts` attempts.
    pub fn settings(&self, max_attempts: u32) -> gantry_core::aws::AwsSettings {
        gantry_core::aws::AwsSettings {
            endpoint_url: Some(self.url.parse().expect("a loopback URL")),
            static_credentials: Some(gantry_core::aws::StaticCredentials::moto()),
            max_attempts,
            ..gantry_core::aws::AwsSettings::default()
        }
    }

    /// How many requests it has received.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }

    /// The bodies of the requests received, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
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
    if let Ok(mut seen) = bodies.lock() {
        seen.push(String::from_utf8_lossy(&buf[header_end..]).into_owned());
    }
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
