//! From a validated config to a running server.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use gantry_core::roadmap::service;
use gantry_core::{Db, Services};
use leptos::prelude::LeptosOptions;
use secrecy::ExposeSecret;

use crate::auth::AuthState;
use crate::config::{Config, LogFormat};
use crate::http::{router, AppState, JobsState, OpsState};

pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Opens (and migrates) the configured database, with one clear line on
/// failure, protected by the configured audit key(s) and checkpoint file.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let audit = config.audit_settings()?;
    let db = Db::connect(&config.db_options()).await.map_err(|e| {
        let detail = match &e {
            gantry_core::CoreError::Database(inner) => inner.to_string(),
            other => other.to_string(),
        };
        anyhow::anyhow!(
            "cannot open database {}: {detail}",
            config.database_display()
        )
    })?;
    Ok(db.with_audit(audit))
}

/// The database and settings every command that writes needs. Refuses a
/// keyed audit log without a key: its appends would all be refused.
pub async fn services(config: &Config) -> anyhow::Result<Services> {
    let db = open_database(config).await?;
    if db.audit().keyring().is_none() {
        if let Some(key_id) = gantry_core::audit::store::newest_key_id(&db).await? {
            anyhow::bail!(
                "the audit log is MACed (its newest record with key {key_id:?}) but no audit key is configured: set [audit] key (GANTRY_AUDIT__KEY) and key_id"
            );
        }
    }
    Ok(Services {
        db,
        roadmap: config.roadmap_settings()?,
        health_poll_interval: config.health_poll_interval(),
        clock: gantry_core::Clock::system(),
        fargate: config.cost.fargate,
        approver_groups: config.auth.roles.approver_groups(),
    })
}

/// Leptos' site options from our config (the site root and address are ours;
/// the output name is the one site-build writes).
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let mut options = LeptosOptions::builder()
        .output_name(Arc::<str>::from("gantry"))
        .site_root(Arc::<str>::from(
            config.server.site_root.to_string_lossy().as_ref(),
        ))
        .site_pkg_dir(Arc::<str>::from("pkg"))
        .build();
    options.site_addr = config.server.bind;
    // A release build names its assets by content and lists the names in
    // hash.txt beside this binary (site-build, `scripts/lib.sh` `build_site`); a binary
    // without one (tests, `cargo run`) serves the plain names.
    options.hash_files = hash_file_beside_binary(&options.hash_file).is_some();
    options
}

/// The stylesheet's URL: `/pkg/gantry.<hash>.css` when the build named it by
/// content (hash.txt beside the binary), else `/pkg/gantry.css`. For the
/// pages served outside the Leptos app.
pub fn stylesheet_href() -> String {
    let hash = hash_file_beside_binary("hash.txt")
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix("css:").map(|h| h.trim().to_owned()))
        })
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    match hash {
        Some(hash) => format!("/pkg/gantry.{hash}.css"),
        None => "/pkg/gantry.css".to_owned(),
    }
}

/// The asset-name file `name` beside the running binary, if there is one.
pub fn hash_file_beside_binary(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::current_exe().ok()?.parent()?.join(name);
    path.is_file().then_some(path)
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let services = services(&config).await?;
    match (services.db.audit().keyring(), services.db.audit().checkpoint_path()) {
        (None, _) => tracing::warn!(
            "[audit] key is not set: audit records are chained by plain SHA-256, which anyone who can write to the database can recompute"
        ),
        (Some(ring), Some(path)) => tracing::info!(
            key_id = ring.current().id(),
            checkpoint_file = %path.display(),
            "audit records are MACed; the chain's head is checkpointed"
        ),
        (Some(ring), None) => tracing::warn!(
            key_id = ring.current().id(),
            "audit records are MACed, but there is no [audit] checkpoint_file: removal of the newest records cannot be detected"
        ),
    }
    if let Some(seed) = &config.roadmap.seed_file {
        if service::seed_if_empty(&services.db, &services.roadmap, seed, services.clock.now())
            .await
            .with_context(|| format!("importing the seed {}", seed.display()))?
        {
            tracing::info!(seed = %seed.display(), "empty roadmap: imported the seed document");
        }
    }
    let seeded = gantry_core::environments::service::seed_from(&services.db, &config.environments)
        .await
        .context("creating the configured environments")?;
    if !seeded.created.is_empty() {
        tracing::info!(created = ?seeded.created, "created environments from config");
    }
    if config.auth.dev.enabled {
        tracing::warn!(
            url = %config.server.public_url,
            "the development sign-in is on: anyone who reaches this server can sign in as any configured user"
        );
    }
    let auth = AuthState::from_config(&config).await?;
    spawn_session_purge(services.clone());
    let aws_calls = gantry_core::aws::AwsCallCounter::new();
    // One set of AWS clients for the whole process: the poller and the cost
    // refresher share its credential cache and its request counter.
    let aws = gantry_core::aws::AwsClients::new(config.aws_settings()?, aws_calls.clone());
    if let Some(endpoint) = &config.aws.endpoint_url {
        tracing::info!(%endpoint, "AWS requests go to a local stand-in");
    }
    let shutdown = tokio_util::sync::CancellationToken::new();
    let poller = if config.health.enabled {
        Some(spawn_health_poller(
            &config,
            &services,
            aws.clone(),
            shutdown.clone(),
        )?)
    } else {
        tracing::info!("health polling is off ([health] enabled = false)");
        None
    };
    let (jobs, workers) = start_jobs(&config, &services, aws.clone(), shutdown.clone());
    let cost = match cost_refresher(&config, &services, aws)? {
        Some(refresher) => {
            let every = std::time::Duration::from_secs(config.cost.refresh_interval_minutes * 60);
            Some((refresher.clone(), refresher.spawn(every, shutdown.clone())))
        }
        None => {
            tracing::info!("cost ingestion is off ([cost] enabled = false)");
            None
        }
    };
    let state = AppState {
        leptos_options: leptos_options(&config),
        services: services.clone(),
        auth,
        ops: ops_state(&config, aws_calls),
        cost: cost.as_ref().map(|(refresher, _)| refresher.clone()),
        poll: poller.as_ref().map(|(_, trigger)| trigger.clone()),
        jobs,
    };
    let app = router(state);
    let addr: SocketAddr = config.server.bind;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(url = %config.server.public_url, %addr, database = %config.database_display(), "Gantry is listening");
    // The peer address keys the sign-in rate limits (auth/limit.rs).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    shutdown.cancel();
    if let Some((poller, _)) = poller {
        let _ = poller.await;
    }
    if let Some((_, task)) = cost {
        let _ = task.await;
    }
    // A step still running is abandoned as a crash would: its lease lapses
    // and a worker (here after a restart, or another replica) resumes it.
    for worker in workers {
        let _ = worker.await;
    }
    services.db.close().await;
    Ok(())
}

/// The jobs engine of this process: `[jobs] workers` claim loops running
/// the AWS job kinds, woken in process and, on PostgreSQL, by `LISTEN
/// gantry_jobs`; each returns at `shutdown`.
pub fn start_jobs(
    config: &Config,
    services: &Services,
    clients: gantry_core::aws::AwsClients,
    shutdown: tokio_util::sync::CancellationToken,
) -> (JobsState, Vec<tokio::task::JoinHandle<()>>) {
    use gantry_core::jobs::{kinds::AwsRunner, notify, worker::Worker};
    let handle = gantry_core::jobs::service::JobsHandle {
        clients: clients.clone(),
        notifier: notify::JobsNotifier::new(),
        template: config.provision.clone().map(Arc::new),
        // Validated when the config was loaded.
        sealer: config.jobs.sealer().ok().flatten(),
        planning: config.jobs.plan_limit(),
    };
    // LISTEN on PostgreSQL: wakes this process's workers, and its event
    // streams for jobs other replicas run (also where no worker runs here).
    let listener = (services.db.backend() == gantry_core::db::Backend::Postgres).then(|| {
        let url = config
            .jobs
            .listen_url
            .as_ref()
            .unwrap_or(&config.database.url)
            .expose_secret()
            .to_owned();
        notify::listen_postgres(url, handle.notifier.clone(), shutdown.clone())
    });
    if !config.jobs.enabled {
        tracing::info!("job workers are off in this process ([jobs] enabled = false)");
        let streams = crate::routes::jobs::EventStreams::new(
            config.jobs.max_streams_per_person,
            crate::routes::jobs::FALLBACK_LOOK,
        );
        return (
            JobsState {
                streams,
                ..JobsState::without_workers(handle)
            },
            listener.into_iter().collect(),
        );
    }
    let runner = Arc::new(
        AwsRunner::new(clients)
            .with_poll_interval(std::time::Duration::from_secs(
                config.jobs.rollout_poll_secs,
            ))
            .with_rollout_timeout(std::time::Duration::from_secs(
                config.jobs.rollout_timeout_secs,
            ))
            .with_sealer(handle.sealer.clone()),
    );
    let mut liveness = Vec::new();
    let mut tasks = Vec::new();
    for n in 0..config.jobs.workers {
        let worker = Worker::new(
            services.db.clone(),
            runner.clone(),
            config.jobs.worker(n),
            services.clock.clone(),
            handle.notifier.clone(),
        );
        liveness.push(worker.liveness());
        tasks.push(worker.spawn(shutdown.clone()));
    }
    tasks.extend(listener);
    tasks.push(spawn_preview_reaper(
        services.clone(),
        handle.clone(),
        shutdown.clone(),
    ));
    let webhooks = gantry_core::outbox::Webhooks::new(
        config.notifications.webhooks.clone(),
        &config.server.public_url,
    );
    tasks.push(
        gantry_core::outbox::Deliverer::new(services.db.clone(), webhooks).spawn(
            std::time::Duration::from_secs(config.notifications.deliver_every_secs),
            services.clock.clone(),
            shutdown,
        ),
    );
    tracing::info!(workers = config.jobs.workers, "job workers started");
    (
        JobsState {
            handle,
            workers: liveness.into(),
            max_silence: config.jobs.max_silence(),
            streams: crate::routes::jobs::EventStreams::new(
                config.jobs.max_streams_per_person,
                crate::routes::jobs::FALLBACK_LOOK,
            ),
        },
        tasks,
    )
}

/// Every minute, queues the tear-down of environments whose time-to-live
/// ran out (`jobs::service::reap_expired`) and ends the approval requests
/// that expired (`approvals::service::expire`); a failed sweep is logged
/// and tried again at the next.
fn spawn_preview_reaper(
    services: Services,
    handle: gantry_core::jobs::service::JobsHandle,
    shutdown: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = services.clock.now();
            if let Err(e) =
                gantry_core::jobs::service::reap_expired(&services.db, &handle, now).await
            {
                tracing::warn!(error = %e, "the preview time-to-live sweep failed");
            }
            match gantry_core::approvals::service::release_after_freeze(
                &services.db,
                &handle.notifier,
                now,
            )
            .await
            {
                Ok(released) if !released.is_empty() => {
                    tracing::info!(jobs = ?released, "a freeze ended: approved jobs queued");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the freeze release sweep failed"),
            }
            match gantry_core::approvals::service::expire(&services.db, now).await {
                Ok(ended) if !ended.is_empty() => {
                    tracing::info!(jobs = ?ended, "approval requests expired");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the approval expiry sweep failed"),
            }
        }
    })
}

/// What `/metrics` reads.
pub fn ops_state(config: &Config, aws_calls: gantry_core::aws::AwsCallCounter) -> OpsState {
    OpsState {
        aws_calls,
        metrics_token: config.metrics.bearer_token.clone(),
        poll_interval: config.health_poll_interval(),
    }
}

/// Starts the background health poller: the only code that reads AWS for
/// the health pages (they read its stored snapshots).
/// Returns its task and the trigger a person's "check now" goes through.
pub fn spawn_health_poller(
    config: &Config,
    services: &Services,
    clients: gantry_core::aws::AwsClients,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<(
    tokio::task::JoinHandle<()>,
    gantry_core::health::poll::PollTrigger,
)> {
    let source = gantry_core::aws::AwsHealthSource::new(clients)
        .context("building the AWS health source")?;
    let poller = gantry_core::health::poll::Poller::new(
        services.db.clone(),
        Arc::new(source),
        config.health_poll_interval(),
        chrono::Duration::days(i64::from(config.health.retention_days)),
    )
    .keep_transitions_for(chrono::Duration::days(i64::from(
        config.health.transition_retention_days,
    )))
    .with_clock(services.clock.clone());
    let trigger = poller.trigger();
    Ok((poller.spawn(shutdown), trigger))
}

/// The cost refresher `[cost]` describes, not yet scheduled; none when cost
/// ingestion is off. The only code that calls Cost Explorer.
pub fn cost_refresher(
    config: &Config,
    services: &Services,
    clients: gantry_core::aws::AwsClients,
) -> anyhow::Result<Option<gantry_core::cost::refresh::CostRefresher>> {
    if !config.cost.enabled {
        return Ok(None);
    }
    Ok(Some(gantry_core::cost::refresh::CostRefresher::new(
        services.db.clone(),
        clients,
        config.cost_settings()?,
        services.clock.clone(),
    )))
}

/// Deletes expired sessions and sign-in flows every ten minutes.
fn spawn_session_purge(services: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            match gantry_core::auth::session::purge_expired(&services.db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "purged expired sessions"),
                Err(e) => tracing::warn!(error = ?e, "session purge failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
