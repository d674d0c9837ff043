//! `/jobs/{id}/events`: a job's progress as server-sent events, for its page
//! while it runs. Each log line is an event `log` whose id is the line's
//! `seq`, so a reconnecting browser (`Last-Event-ID`, or `?after=N`) gets
//! exactly the lines it missed; an event `state` whenever the job's state or
//! step changes (the page then reads the job again: the state it shows is
//! always the database's, never the stream's); an event `end` once the job
//! is final and every line was sent. A stream reads the database when the
//! jobs engine says a job changed ([`gantry_core::jobs::notify::progress`],
//! across replicas through PostgreSQL's `NOTIFY`), and on its own only every
//! [`FALLBACK_LOOK`], so any replica serves any job and an idle stream costs
//! next to nothing; it ends after 10 minutes and the browser reconnects
//! where it left off. One person holds at most
//! `jobs.max_streams_per_person` streams: opening one more closes their
//! oldest, with a final `end` event saying why.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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
use tokio_util::sync::CancellationToken;

use super::error::RouteError;

/// How often a stream reads the database with no wake-up (a notification
/// lost with a dropped listener connection).
pub const FALLBACK_LOOK: Duration = Duration::from_secs(5);
const MAX_STREAM: Duration = Duration::from_secs(600);
/// Open streams per person when the config does not say.
pub const DEFAULT_STREAMS_PER_PERSON: usize = 8;

/// A person's open streams, oldest first: each one's id and its closer.
type Open = HashMap<String, VecDeque<(u64, CancellationToken)>>;

/// The open event streams of this process, per person (by subject).
#[derive(Clone, Debug)]
pub struct EventStreams {
    limit: usize,
    fallback: Duration,
    next: Arc<AtomicU64>,
    open: Arc<Mutex<Open>>,
}

impl Default for EventStreams {
    fn default() -> Self {
        Self::new(DEFAULT_STREAMS_PER_PERSON, FALLBACK_LOOK)
    }
}

impl EventStreams {
    /// At most `limit` streams per person; each reads the database at least
    /// every `fallback`.
    pub fn new(limit: usize, fallback: Duration) -> Self {
        Self {
            limit: limit.max(1),
            fallback,
            next: Arc::default(),
            open: Arc::default(),
        }
    }

    /// Registers a stream of `who`'s, closing their oldest past the limit.
    fn open(&self, who: &str) -> StreamSlot {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let closed = CancellationToken::new();
        if let Ok(mut open) = self.open.lock() {
            let mine = open.entry(who.to_owned()).or_default();
            mine.push_back((id, closed.clone()));
            while mine.len() > self.limit {
                if let Some((_, oldest)) = mine.pop_front() {
                    oldest.cancel();
                }
            }
        }
        StreamSlot {
            streams: self.clone(),
            who: who.to_owned(),
            id,
            closed,
        }
    }

    /// Streams `who` holds open now.
    pub fn open_for(&self, who: &str) -> usize {
        self.open
            .lock()
            .map_or(0, |open| open.get(who).map_or(0, VecDeque::len))
    }
}

/// One open stream; its place is given back when the stream is dropped
/// (the browser went away, or it ended).
struct StreamSlot {
    streams: EventStreams,
    who: String,
    id: u64,
    closed: CancellationToken,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.open.lock() {
            if let Some(mine) = open.get_mut(&self.who) {
                mine.retain(|(id, _)| *id != self.id);
                if mine.is_empty() {
                    open.remove(&self.who);
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Send the lines after this `seq` (when no `Last-Event-ID` is sent).
    after: Option<i64>,
}

pub async fn events(
    State(services): State<Services>,
    State(jobs): State<crate::http::JobsState>,
    user: Option<Extension<Principal>>,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, RouteError> {
    let who = super::require(user.as_deref(), Permission::Read)?.subject;
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
    service::progress(&services.db, id, i64::MAX).await?;
    // Subscribed before the first read: no change after it is missed.
    let progress = gantry_core::jobs::notify::progress();
    let slot = jobs.streams.open(&who);
    Ok(Sse::new(feed(services, id, after, slot, progress))
        .keep_alive(KeepAlive::default())
        .into_response())
}

struct Feed {
    services: Services,
    id: JobId,
    after: i64,
    state: Option<(String, usize, bool, Option<String>)>,
    started: Instant,
    done: bool,
    slot: StreamSlot,
    progress: tokio::sync::watch::Receiver<u64>,
}

fn feed(
    services: Services,
    id: JobId,
    after: i64,
    slot: StreamSlot,
    progress: tokio::sync::watch::Receiver<u64>,
) -> impl Stream<Item = Result<Event, std::convert::Infallible>> {
    let start = Feed {
        services,
        id,
        after,
        state: None,
        started: Instant::now(),
        done: false,
        slot,
        progress,
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
                    "at": app::wire::ts_millis(line.at),
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
                // A running job's reason is a fault while it lasts.
                job.reason.clone(),
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
            if feed.slot.closed.is_cancelled() {
                events.push(Event::default().event("end").data(format!(
                    "closed: more than {} event streams were opened by the same person",
                    feed.slot.streams.limit
                )));
                feed.done = true;
                break;
            }
            if !events.is_empty() {
                break;
            }
            let fallback = feed.slot.streams.fallback;
            tokio::select! {
                changed = feed.progress.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(fallback).await;
                    }
                }
                () = feed.slot.closed.cancelled() => {}
                () = tokio::time::sleep(fallback) => {}
            }
        }
        Some((stream::iter(events.into_iter().map(Ok)), feed))
    })
    .flatten()
}
