//! `/jobs/{id}/events`: a job's progress as server-sent events, for its page
//! while it runs. Each log line is an event `log` whose id is the line's
//! `seq`, so a reconnecting browser (`Last-Event-ID`, or `?after=N`) gets
//! exactly the lines it missed; an event `state` whenever the job's state or
//! step changes (the page then reads the job again: the state it shows is
//! always the database's, never the stream's); an event `end` once the job
//! is final and every line was sent. Read from the database every 500 ms, so
//! any replica serves any job; a stream ends after 10 minutes and the
//! browser reconnects where it left off.

use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream, StreamExt};
use gantry_core::auth::{Permission, Principal};
use gantry_core::jobs::{service, JobId};
use gantry_core::Services;
use serde::Deserialize;
use serde_json::json;

use super::error::RouteError;

const POLL: Duration = Duration::from_millis(500);
const MAX_STREAM: Duration = Duration::from_secs(600);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Send the lines after this `seq` (when no `Last-Event-ID` is sent).
    after: Option<i64>,
}

pub async fn events(
    State(services): State<Services>,
    user: Option<Extension<Principal>>,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, RouteError> {
    super::require(user.as_deref(), Permission::Read)?;
    let id: JobId = id
        .parse()
        .map_err(|_| RouteError::not_found(format!("job {id:?}")))?;
    let last_event_id = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|seq| *seq >= 0)
                .ok_or_else(|| {
                    RouteError::bad_request("Last-Event-ID must be a log line number")
                })?,
        ),
    };
    let after = last_event_id.or(query.after).unwrap_or(0).max(0);
    // A job that does not exist is a 404 now, not an empty stream.
    service::progress(&services.db, id, i64::MAX)
        .await
        .map_err(|e| RouteError::Core(e.into()))?;
    Ok(Sse::new(feed(services, id, after))
        .keep_alive(KeepAlive::default())
        .into_response())
}

struct Feed {
    services: Services,
    id: JobId,
    after: i64,
    state: Option<(String, usize, bool)>,
    started: Instant,
    done: bool,
}

fn feed(
    services: Services,
    id: JobId,
    after: i64,
) -> impl Stream<Item = Result<Event, std::convert::Infallible>> {
    let start = Feed {
        services,
        id,
        after,
        state: None,
        started: Instant::now(),
        done: false,
    };
    stream::unfold(start, |mut feed| async move {
        if feed.done {
            return None;
        }
        let mut events = Vec::new();
        loop {
            let progress = match service::progress(&feed.services.db, feed.id, feed.after).await {
                Ok(progress) => progress,
                Err(e) => {
                    tracing::warn!(job = %feed.id, error = %e, "job events: read failed");
                    feed.done = true;
                    events.push(Event::default().event("end").data("read failed"));
                    break;
                }
            };
            for line in &progress.log.lines {
                feed.after = line.seq;
                let data = json!({
                    "seq": line.seq,
                    "at": line.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "level": line.level.as_str(),
                    "step": line.position.map(|p| p + 1),
                    "message": line.message,
                });
                events.push(
                    Event::default()
                        .event("log")
                        .id(line.seq.to_string())
                        .data(data.to_string()),
                );
            }
            let job = &progress.job;
            let state = (
                job.state.as_str().to_owned(),
                job.current_step,
                job.cancel_requested,
            );
            if feed.state.as_ref() != Some(&state) {
                let data = json!({
                    "state": job.state.as_str(),
                    "done": job.current_step.min(job.step_count),
                    "steps": job.step_count,
                    "reason": job.reason,
                    "cancel_requested": job.cancel_requested,
                });
                events.push(Event::default().event("state").data(data.to_string()));
                feed.state = Some(state);
            }
            let caught_up = progress.log.next_after_seq.is_none();
            if job.state.is_final() && caught_up {
                events.push(Event::default().event("end").data(job.state.as_str()));
                feed.done = true;
                break;
            }
            if feed.started.elapsed() >= MAX_STREAM {
                feed.done = true;
                break;
            }
            if !events.is_empty() {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        Some((stream::iter(events.into_iter().map(Ok)), feed))
    })
    .flatten()
}
