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
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every record's MAC (or legacy SHA-256) and the chain's head
    /// against the checkpoint file; name the first broken record, if any.
    Verify,
}

#[derive(Subcommand)]
enum RoadmapCommand {
    /// Import the team's markdown status document (one transaction; idempotent).
    Import { file: PathBuf },
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
                RoadmapCommand::Import { file } => {
                    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
                    let report = service::import_file(
                        &services.db,
                        &services.roadmap,
                        &file,
                        &format!("cli:{user}"),
                        Some("cli".to_owned()),
                    )
                    .await?;
                    println!(
                        "imported {}: {} created, {} updated, {} retired, {} unchanged",
                        file.display(),
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
