//! Notifications: a Slack-compatible webhook per environment, fed from a
//! durable outbox (its own area, below jobs and approvals, which both write
//! to it; it knows a job only by its id). A notice is a row written in the same transaction
//! as what it tells (the request, each decision, a break-glass, the
//! outcome), so none is lost and none is sent for a change that rolled back;
//! a [`Deliverer`] posts due rows, retries failures with exponential backoff
//! (30 s doubling, at most an hour, [`MAX_ATTEMPTS`] tries) and never blocks
//! the request that wrote them. Several replicas may deliver: a row is
//! claimed by a conditional update before it is sent.
//!
//! The webhook URL is a secret (it authorizes posting): it lives in the
//! server's config, never in the database, a page, a log line or an error
//! text (a failed delivery records the HTTP status or the error's kind).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::AnyConnection;

use crate::backoff::Backoff;
use crate::db::codec::timestamp;
use crate::db::Db;

/// Tries of one notice before it is given up (kept, marked dead).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claimed row is left to its deliverer before another may try.
const CLAIM_MS: i64 = 60_000;
/// Rows one round delivers at most.
const BATCH: i64 = 20;
/// When a failed notice is tried again.
const RETRY: Backoff = Backoff::new(Duration::from_secs(30), Duration::from_secs(3600));

fn now_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Writes a notice about job `job_id` on `conn` (the caller's transaction).
pub async fn record(
    conn: &mut AnyConnection,
    job_id: i64,
    environment: &str,
    event: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_outbox (job_id, environment, event, text, attempts, \
         next_attempt_ms, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6)",
    )
    .bind(job_id)
    .bind(environment)
    .bind(event)
    .bind(text)
    .bind(now_ms(now))
    .bind(timestamp(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The webhook URL of each environment that has one, and where links point.
#[derive(Clone, Default)]
pub struct Webhooks {
    urls: BTreeMap<String, SecretString>,
    /// The portal's public URL (links back to the job's page).
    public_url: String,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("environments", &self.urls.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(urls: BTreeMap<String, SecretString>, public_url: &str) -> Self {
        Self {
            urls,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub failed: usize,
    /// Rows of environments without a webhook, closed without sending.
    pub skipped: usize,
}

/// Posts due notices to their environment's webhook.
#[derive(Debug, Clone)]
pub struct Deliverer {
    db: Db,
    webhooks: Webhooks,
    http: reqwest::Client,
}

impl Deliverer {
    pub fn new(db: Db, webhooks: Webhooks) -> Self {
        Self {
            db,
            webhooks,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    /// Delivers the rows due at `now` (one round).
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<Round, sqlx::Error> {
        let due = sqlx::query_as::<_, DueRow>(
            "SELECT id, job_id, environment, event, text, attempts, next_attempt_ms \
             FROM notification_outbox WHERE delivered_at IS NULL AND attempts < $1 \
             AND next_attempt_ms <= $2 ORDER BY id LIMIT $3",
        )
        .bind(MAX_ATTEMPTS)
        .bind(now_ms(now))
        .bind(BATCH)
        .fetch_all(self.db.pool())
        .await?;
        let mut round = Round::default();
        for DueRow {
            id,
            job_id: job,
            environment,
            event,
            text,
            attempts,
            next_attempt_ms: seen,
        } in due
        {
            // Claimed by this deliverer only if no one else claimed it since.
            let claimed = sqlx::query(
                "UPDATE notification_outbox SET next_attempt_ms = $3 \
                 WHERE id = $1 AND next_attempt_ms = $2 AND delivered_at IS NULL RETURNING id",
            )
            .bind(id)
            .bind(seen)
            .bind(now_ms(now) + CLAIM_MS)
            .fetch_optional(self.db.pool())
            .await?;
            if claimed.is_none() {
                continue;
            }
            let Some(url) = self.webhooks.urls.get(&environment) else {
                self.close(id, now, "no webhook for this environment")
                    .await?;
                round.skipped += 1;
                continue;
            };
            let link = format!("{}/jobs/{job}", self.webhooks.public_url);
            let payload = slack_payload(&text, &event, job, &environment, &link);
            let outcome = match self
                .http
                .post(url.expose_secret())
                .json(&payload)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("the webhook answered {}", r.status().as_u16())),
                // The error's kind only: its text would name the URL.
                Err(e) if e.is_timeout() => Err("the webhook did not answer in time".to_owned()),
                Err(e) if e.is_connect() => Err("the webhook could not be reached".to_owned()),
                Err(_) => Err("the request to the webhook failed".to_owned()),
            };
            match outcome {
                Ok(()) => {
                    self.close(id, now, "").await?;
                    round.delivered += 1;
                }
                Err(error) => {
                    let tries = attempts + 1;
                    // 30 s doubling per try (60 s after the first), at most an hour.
                    let wait = RETRY.after(u32::try_from(tries + 1).unwrap_or(u32::MAX));
                    let backoff = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                    sqlx::query(
                        "UPDATE notification_outbox SET attempts = $2, next_attempt_ms = $3, \
                         last_error = $4 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(tries)
                    .bind(now_ms(now) + backoff)
                    .bind(&error)
                    .execute(self.db.pool())
                    .await?;
                    tracing::warn!(notice = id, environment = %environment, tries, %error, "webhook delivery failed; retried later");
                    round.failed += 1;
                }
            }
        }
        Ok(round)
    }

    async fn close(&self, id: i64, now: DateTime<Utc>, note: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE notification_outbox SET delivered_at = $2, last_error = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(timestamp(now))
        .bind(Some(note).filter(|n| !n.is_empty()))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Delivers every `every` until `shutdown`, with the clock `now`; a
    /// failed round is logged and tried again at the next.
    pub fn spawn(
        self,
        every: Duration,
        clock: crate::clock::Clock,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = tick.tick() => {}
                }
                if let Err(e) = self.deliver_due(clock.now()).await {
                    tracing::warn!(error = %e, "a notification round failed");
                }
            }
        })
    }
}

/// A notice as the outbox holds it (tests, the job page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub event: String,
    pub text: String,
    pub attempts: i64,
    pub delivered: bool,
    pub last_error: Option<String>,
}

/// The notices of job `job_id`, oldest first.
pub async fn for_job(db: &Db, job_id: i64) -> Result<Vec<Notice>, sqlx::Error> {
    let rows: Vec<NoticeRow> = sqlx::query_as(
        "SELECT event, text, attempts, delivered_at, last_error FROM notification_outbox \
         WHERE job_id = $1 ORDER BY id",
    )
    .bind(job_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Notice {
            event: row.event,
            text: row.text,
            attempts: row.attempts,
            delivered: row.delivered_at.is_some(),
            last_error: row.last_error,
        })
        .collect())
}

/// A `notification_outbox` row as [`for_job`] reads it.
#[derive(sqlx::FromRow)]
struct NoticeRow {
    event: String,
    text: String,
    attempts: i64,
    delivered_at: Option<String>,
    last_error: Option<String>,
}

/// A `notification_outbox` row due for delivery.
#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    job_id: i64,
    environment: String,
    event: String,
    text: String,
    attempts: i64,
    next_attempt_ms: i64,
}

/// Text for Slack's `mrkdwn`: `&`, `<` and `>` escaped, so user text (a
/// request reason, a name) can neither mention (`<!channel>`) nor link
/// (`<https://…|label>`); Gantry's own link is added after escaping.
pub fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The webhook's JSON body (Slack-compatible `text`, and Gantry's own
/// fields, encoded by the serializer).
pub fn slack_payload(
    text: &str,
    event: &str,
    job: i64,
    environment: &str,
    link: &str,
) -> serde_json::Value {
    json!({
        "text": format!("{} <{link}|Open in Gantry>", slack_escape(text)),
        "gantry": { "event": event, "job": job, "environment": environment, "url": link },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_mention_or_link_in_chat() {
        let reason = "<!channel> <https://evil.example|Open in Gantry> & \"x\"";
        let text = format!("Job #7 (deploy on prod) requested by Eve: \u{201c}{reason}\u{201d}");
        let payload = slack_payload(
            &text,
            "requested",
            7,
            "prod",
            "https://gantry.example/jobs/7",
        );
        let sent = payload["text"].as_str().expect("text");
        assert!(!sent.contains("<!channel>"), "{sent}");
        assert!(!sent.contains("<https://evil.example"), "{sent}");
        assert!(
            sent.contains(
                "&lt;!channel&gt; &lt;https://evil.example|Open in Gantry&gt; &amp; \"x\""
            ),
            "{sent}"
        );
        // Exactly one link: Gantry's own, at the end.
        assert_eq!(sent.matches('<').count(), 1, "{sent}");
        assert!(
            sent.ends_with("<https://gantry.example/jobs/7|Open in Gantry>"),
            "{sent}"
        );
        // The JSON is the serializer's: it parses back to the same text.
        let wire = serde_json::to_string(&payload).expect("json");
        let back: serde_json::Value = serde_json::from_str(&wire).expect("parse");
        assert_eq!(back["text"], payload["text"]);
    }
}
