//! Storage: one pool for SQLite (the embedded default) or PostgreSQL (production,
//! several replicas), chosen by the database URL.
//!
//! Queries are written once with `$1`-style placeholders, which both SQLite and
//! PostgreSQL understand, and run through sqlx's `Any` driver. Each backend has
//! its own migrations (`migrations/sqlite`, `migrations/postgres`) because their
//! DDL differs (identity columns, integer widths).

pub mod codec;
pub mod sql;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::audit::keys::{AuditSettings, AuditState};
use crate::error::{CoreError, CoreResult};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL selects, or a message naming what is accepted.
    pub fn for_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(format!(
                "unsupported database URL {}: use sqlite://PATH or postgres://USER@HOST/DB",
                redact_url(url)
            ))
        }
    }
}

/// The database handle every area's store takes. Cheap to clone.
///
/// It also carries how the audit log is protected (key and checkpoint file,
/// [`Db::with_audit`]), so that every `audit::store::append` uses them.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    audit: Arc<AuditState>,
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl Db {
    /// Connects (creating a SQLite file and its folder if needed) and applies
    /// the migrations.
    pub async fn connect(options: &DbOptions) -> CoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::for_url(&options.url).map_err(CoreError::Invalid)?;
        let mut url = options.url.clone();
        if backend == Backend::Sqlite {
            url = prepare_sqlite_url(&url)?;
        }
        let connect_options = AnyConnectOptions::from_str(&url)
            .map_err(|e| CoreError::Invalid(format!("invalid database URL: {e}")))?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite {
                options.max_connections.min(8)
            } else {
                options.max_connections
            })
            .acquire_timeout(options.connect_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect_options)
            .await?;
        let db = Self {
            pool,
            backend,
            audit: AuditState::new(AuditSettings::default()),
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> CoreResult<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This handle (sharing the pool) with the audit key(s) and checkpoint
    /// file that `audit::store::append` and `verify` use from now on. Without
    /// it, records are written in the legacy unkeyed form.
    pub fn with_audit(mut self, settings: AuditSettings) -> Self {
        self.audit = AuditState::new(settings);
        self
    }

    pub fn audit(&self) -> &AuditState {
        &self.audit
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers a trivial query within 2 s (readiness).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match tokio::time::timeout(
            std::time::Duration::from_secs(2),
            sqlx::query("SELECT 1").execute(&self.pool),
        )
        .await
        {
            Ok(result) => result.map(|_| ()),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }
}

/// The file a `sqlite:` URL names (`sqlite://data/gantry.db` → `data/gantry.db`),
/// or `None` for another backend or an in-memory database.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// `sqlite://data/gantry.db` → creates `data/` and asks SQLite to create the file.
fn prepare_sqlite_url(url: &str) -> CoreResult<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(CoreError::Invalid(
            "database.url: SQLite needs a file path (sqlite://data/gantry.db); in-memory databases are not shared between connections".into(),
        ));
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            CoreError::Invalid(format!(
                "cannot create the database folder {}: {e}",
                parent.display()
            ))
        })?;
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Fresh databases for tests: a temporary SQLite file, or a new database on the
/// PostgreSQL server named by `TEST_POSTGRES_URL` (started by `scripts/test.sh`).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use std::sync::atomic::{AtomicU32, Ordering};

    use sqlx::Connection;

    use super::{Db, DbOptions};
    use crate::audit::keys::{self, AuditSettings};

    static COUNTER: AtomicU32 = AtomicU32::new(0);

    fn unique_name(prefix: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join("gantry-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// The audit protection of the test databases: the fixed test key
    /// ([`keys::testing::keyring`]) and a checkpoint file of their own.
    pub fn audit_settings(name: &str) -> AuditSettings {
        AuditSettings {
            keyring: Some(keys::testing::keyring()),
            checkpoint_file: Some(temp_dir().join(format!("{name}.audit-checkpoint.jsonl"))),
        }
    }

    /// A migrated database in a new temporary SQLite file, its audit log keyed
    /// with the test key and checkpointed beside it.
    pub async fn sqlite() -> Db {
        let name = unique_name("t");
        let path = temp_dir().join(format!("{name}.db"));
        Db::connect(&DbOptions::new(format!("sqlite://{}", path.display())))
            .await
            .expect("sqlite test database")
            .with_audit(audit_settings(&name))
    }

    /// A migrated, brand-new PostgreSQL database.
    ///
    /// Panics with instructions when `TEST_POSTGRES_URL` is not set: the storage
    /// tests must run on both backends, never silently on one.
    pub async fn postgres() -> Db {
        let (name, url) = postgres_database().await;
        Db::connect(&DbOptions::new(url))
            .await
            .expect("postgres test database")
            .with_audit(audit_settings(&name))
    }

    /// A brand-new, empty PostgreSQL database: its name and URL (for tests
    /// that start `gantry` processes on it).
    pub async fn postgres_database() -> (String, String) {
        sqlx::any::install_default_drivers();
        let admin_url = std::env::var("TEST_POSTGRES_URL").expect(
            "TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL",
        );
        let name = unique_name("gantry_test");
        let mut admin = sqlx::AnyConnection::connect(&admin_url)
            .await
            .expect("connect to TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.expect("close admin connection");
        let mut url = url::Url::parse(&admin_url).expect("TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        (name, url.to_string())
    }
}

/// Runs each named `async fn(Db)` as two tests, `sqlite::name` and
/// `postgres::name`, each on a fresh database: the storage tests of every area
/// run on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::db::testing::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::db::testing::postgres().await).await;
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(Backend::for_url("sqlite://x.db"), Ok(Backend::Sqlite));
        assert_eq!(Backend::for_url("postgres://u@h/db"), Ok(Backend::Postgres));
        let err = Backend::for_url("mysql://u:secret@h/db").unwrap_err();
        assert!(err.contains("unsupported database URL"), "{err}");
        assert!(!err.contains("secret"), "password leaked: {err}");
    }

    #[test]
    fn sqlite_paths_come_from_the_url() {
        assert_eq!(
            sqlite_path("sqlite://data/gantry.db?mode=rwc"),
            Some(PathBuf::from("data/gantry.db"))
        );
        assert_eq!(sqlite_path("sqlite:x.db"), Some(PathBuf::from("x.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[test]
    fn sqlite_url_gets_create_mode() {
        let dir = std::env::temp_dir().join("gantry-url-test");
        let url = format!("sqlite://{}/a.db", dir.display());
        assert!(prepare_sqlite_url(&url).unwrap().ends_with("a.db?mode=rwc"));
        assert!(prepare_sqlite_url("sqlite::memory:").is_err());
    }
}
