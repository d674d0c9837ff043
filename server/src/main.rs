//! `gantry`: the server and its administrative commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gantry_core::roadmap::service;
use gantry_server::config::Config;
use gantry_server::startup;

#[derive(Parser)]
#[command(
    name = "gantry",
    version,
    about = "Gantry: a self-service infrastructure portal"
)]
struct Cli {
    /// TOML config file (see config/gantry.example.toml); GANTRY_* variables override it.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Check the configuration and exit.
    CheckConfig,
    /// The module rollout roadmap.
    Roadmap {
        #[command(subcommand)]
        command: RoadmapCommand,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Provisioning jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// The newest jobs first, one a line.
    List {
        #[arg(long)]
        environment: Option<String>,
        /// awaiting_approval, queued, running, succeeded, failed, cancelled,
        /// rolled_back, stale or stuck.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One job: its steps, their before → after, and its log.
    Show { id: String },
    /// Cancel a job (at once when it has not started, else at its next step
    /// boundary or wait).
    Cancel { id: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every record's MAC (or legacy SHA-256) and the chain's head
    /// against the checkpoint file; name the first broken record, if any.
    Verify,
}

#[derive(Subcommand)]
enum RoadmapCommand {
    /// Import an edition of the team's markdown status document (one
    /// transaction; importing the same edition again changes nothing). A
    /// module listed twice is merged, with a warning naming both lines.
    Import {
        file: PathBuf,
        /// Refuse a module listed twice instead of merging it.
        #[arg(long)]
        strict: bool,
        /// Import an edition older than the newest one imported.
        #[arg(long)]
        force: bool,
    },
    /// Write the current roadmap as markdown (to stdout, or --output FILE).
    Export {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    startup::init_tracing(&config);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            config.require_sign_in()?;
            startup::serve(config).await
        }
        Command::CheckConfig => {
            config.require_sign_in()?;
            println!("config ok (database {})", config.database_display());
            Ok(())
        }
        Command::Roadmap { command } => {
            let services = startup::services(&config).await?;
            match command {
                RoadmapCommand::Import {
                    file,
                    strict,
                    force,
                } => {
                    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
                    let report = service::import_file(
                        &services.db,
                        &services.roadmap,
                        &file,
                        &format!("cli:{user}"),
                        Some("cli".to_owned()),
                        service::ImportMode { strict, force },
                        services.clock.now(),
                    )
                    .await?;
                    for warning in &report.warnings {
                        eprintln!("warning: {warning}");
                    }
                    println!(
                        "imported {} as edition #{}: {} created, {} updated, {} retired, {} unchanged",
                        file.display(),
                        report.edition,
                        report.created.len(),
                        report.updated.len(),
                        report.retired.len(),
                        report.unchanged
                    );
                    for (slug, fields) in &report.updated {
                        println!("  updated {slug}: {}", fields.join(", "));
                    }
                }
                RoadmapCommand::Export { output } => {
                    let markdown = service::export_markdown(&services.db).await?;
                    match output {
                        Some(path) => std::fs::write(&path, markdown)?,
                        None => print!("{markdown}"),
                    }
                }
            }
            services.db.close().await;
            Ok(())
        }
        Command::Jobs { command } => {
            let services = startup::services(&config).await?;
            let result = jobs_command(&services, command).await;
            services.db.close().await;
            result
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = startup::open_database(&config).await?;
            let report = gantry_core::audit::store::verify(&db).await?;
            db.close().await;
            if report.is_ok() {
                println!("{}", report.summary());
                Ok(())
            } else {
                Err(anyhow::anyhow!("{}", report.summary()))
            }
        }
    }
}

async fn jobs_command(
    services: &gantry_core::Services,
    command: JobsCommand,
) -> anyhow::Result<()> {
    use gantry_core::jobs::{service as jobs, store, JobId, JobState};
    use gantry_core::shared::EnvName;
    match command {
        JobsCommand::List {
            environment,
            state,
            limit,
        } => {
            let filter = store::JobFilter {
                environment: environment
                    .as_deref()
                    .map(EnvName::parse)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--environment: {e}"))?,
                state: state.as_deref().map(JobState::parse).transpose()?,
                ..store::JobFilter::default()
            };
            let page =
                jobs::list(&services.db, &filter, &store::JobPageRequest::first(limit)).await?;
            for job in &page.jobs {
                println!(
                    "{:>6}  {:<18} {:<10} {:<12} step {}/{}  {}  {}{}",
                    job.id,
                    job.state.as_str(),
                    job.kind.as_str(),
                    job.environment,
                    job.current_step.min(job.step_count),
                    job.step_count,
                    job.created_at.format("%Y-%m-%d %H:%M"),
                    job.requested_by,
                    job.reason
                        .as_deref()
                        .map(|r| format!("  ({r})"))
                        .unwrap_or_default(),
                );
            }
            if page.jobs.is_empty() {
                println!("no jobs");
            }
        }
        JobsCommand::Show { id } => {
            let id: JobId = id.parse()?;
            let view = jobs::view(&services.db, id, 0).await?;
            let job = &view.detail.job;
            println!(
                "job {} · {} on {} · {} · requested by {} at {}",
                job.id,
                job.kind,
                job.environment,
                job.state,
                job.requested_by,
                job.created_at.to_rfc3339()
            );
            if let Some(reason) = &job.reason {
                println!("reason: {reason}");
            }
            println!("plan {}", job.plan_hash);
            for (step, planned) in view.detail.steps.iter().zip(&job.plan.steps) {
                println!(
                    "  {}. [{}] {} ({} attempt(s))",
                    step.position + 1,
                    step.state.as_str(),
                    step.name,
                    step.attempts
                );
                println!("       before {}", planned.before);
                println!("       after  {}", planned.after);
                if let Some(error) = &step.error {
                    println!("       error  {error}");
                }
            }
            for line in &view.log.lines {
                println!(
                    "  {} {:<5} {}",
                    line.at.format("%H:%M:%S%.3f"),
                    line.level.as_str(),
                    line.message
                );
            }
        }
        JobsCommand::Cancel { id } => {
            let id: JobId = id.parse()?;
            let outcome =
                jobs::cancel(&services.db, &cli_actor(), id, services.clock.now()).await?;
            println!("job {id}: {outcome:?}");
        }
    }
    Ok(())
}

/// Who a command-line change is recorded as: `cli:<user>`.
fn cli_actor() -> gantry_core::shared::Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    gantry_core::shared::Actor {
        name: format!("cli:{user}"),
        role: None,
        request_id: None,
        source: "cli".to_owned(),
        subject: None,
    }
}
