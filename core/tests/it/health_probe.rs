//! Gantry's HTTP probe of a service's health URL, against a local server that
//! answers 200 and then 503, one that never answers, and a closed port.

use std::time::Duration;

use gantry_core::aws::testing::demo_environment_input;
use gantry_core::environments::model::ServiceInput;
use gantry_core::health::model::{
    Component, EcsServiceObservation, HealthStatus, ProbeObservation, ProbeOutcome,
};
use gantry_core::health::source::{assemble, probe, Observed, ObservedService};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers each connection with the next status of `statuses` (then the last
/// one again), and closes it.
async fn serve(statuses: Vec<u16>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/health/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut next = statuses.into_iter().peekable();
        let mut last = 200;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let status = next.next().unwrap_or(last);
            last = status;
            let mut buf = vec![0_u8; 4096];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let body = if status == 200 { "ok" } else { "unavailable" };
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    url
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn up_then_down() {
    let url = serve(vec![200, 503]).await;
    let http = client(Duration::from_secs(5));

    let up = probe(&http, &url).await;
    assert_eq!(up.url, url);
    match up.outcome {
        ProbeOutcome::Ok {
            status_code,
            latency_ms,
        } => {
            assert_eq!(status_code, 200);
            assert!(latency_ms < 5_000);
        }
        other => panic!("expected Ok, got {other:?}"),
    }
    let down = probe(&http, &url).await;
    assert_eq!(down.outcome, ProbeOutcome::HttpError { status_code: 503 });

    // Through the assembly: the probe part of the service's health.
    let env = gantry_core::environments::model::EnvironmentInput {
        services: vec![ServiceInput {
            name: "backend-booking-api".into(),
            container: "django".into(),
            health_url: Some(url.clone()),
        }],
        database: None,
        ..demo_environment_input("dev")
    }
    .validate()
    .unwrap();
    let running = EcsServiceObservation {
        found: true,
        desired: 1,
        running: 1,
        ..Default::default()
    };
    let observed = |probe: ProbeObservation| Observed {
        services: vec![ObservedService {
            probe: Some(probe),
            ..ObservedService::new("backend-booking-api", Ok(running.clone()))
        }],
        database: None,
        parameters: Ok(Vec::new()),
    };
    let healthy = assemble(
        &env,
        observed(up),
        None,
        gantry_core::clock::testing::start(),
    );
    assert_eq!(healthy.overall.status, HealthStatus::Healthy);
    let degraded = assemble(
        &env,
        observed(down),
        Some(&healthy),
        gantry_core::clock::testing::start(),
    );
    let (_, part) = degraded.services[0]
        .health
        .parts
        .iter()
        .find(|(c, _)| *c == Component::Probe)
        .unwrap();
    assert_eq!(part.status, HealthStatus::Degraded);
    assert_eq!(part.reason, format!("health probe {url}: HTTP 503"));
    assert_eq!(degraded.overall.status, HealthStatus::Degraded);
}

#[tokio::test]
async fn silence_is_a_timeout_and_a_closed_port_a_connection_failure() {
    // Accepts, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("http://{}/health/", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let started = std::time::Instant::now();
    let timed_out = probe(&client(Duration::from_millis(300)), &silent).await;
    assert_eq!(timed_out.outcome, ProbeOutcome::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
    hold.abort();

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = probe(
        &client(Duration::from_secs(2)),
        &format!("http://127.0.0.1:{port}/health/"),
    )
    .await;
    match refused.outcome {
        ProbeOutcome::ConnectionFailed { message } => {
            assert!(message.to_lowercase().contains("refused"), "{message}")
        }
        other => panic!("expected ConnectionFailed, got {other:?}"),
    }
}
