//! The HTTP probe of a service's health URL.

use crate::health::model::{ProbeObservation, ProbeOutcome};

/// GETs `url` once: a 2xx/3xx answer is up (with its latency), anything else
/// the code, a timeout or the connection's failure.
pub async fn probe(http: &reqwest::Client, url: &str) -> ProbeObservation {
    let started = std::time::Instant::now();
    let outcome = match http.get(url).send().await {
        Ok(response) => {
            let status_code = response.status().as_u16();
            if (200..400).contains(&status_code) {
                ProbeOutcome::Ok {
                    status_code,
                    latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                }
            } else {
                ProbeOutcome::HttpError { status_code }
            }
        }
        Err(err) if err.is_timeout() => ProbeOutcome::Timeout,
        Err(err) => ProbeOutcome::ConnectionFailed {
            message: innermost(&err),
        },
    };
    ProbeObservation {
        url: url.to_owned(),
        outcome,
    }
}

fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}
