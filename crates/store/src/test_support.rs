//! Throwaway databases for tests: a SQLite file in a temporary folder, or a fresh PostgreSQL
//! database (`mianshi_test_<random>`) created on the server named by `MIANSHI_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) and dropped again afterwards.

use sqlx::any::install_default_drivers;
use sqlx::migrate::MigrateDatabase;
use sqlx::Any;

pub const POSTGRES_ADMIN_URL_VAR: &str = "MIANSHI_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for as long as this value does.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_postgres: bool,
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let url = format!("sqlite://{}", dir.path().join("mianshi.db").display());
        Self {
            url,
            _dir: Some(dir),
            drop_postgres: false,
        }
    }

    /// Panics with instructions if PostgreSQL cannot be reached: these tests must not silently
    /// skip the backend they exist to cover.
    pub async fn postgres() -> Self {
        install_default_drivers();
        let admin = std::env::var(POSTGRES_ADMIN_URL_VAR)
            .unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base)
            .expect("postgres URL has a database path");
        let name = format!("mianshi_test_{}", uuid::Uuid::new_v4().simple());
        let url = format!("{base}/{name}");
        Any::create_database(&url).await.unwrap_or_else(|err| {
            panic!(
                "cannot create test database on PostgreSQL ({err}); start it with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
                 or point {POSTGRES_ADMIN_URL_VAR} at a server"
            )
        });
        Self {
            url,
            _dir: None,
            drop_postgres: true,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.drop_postgres {
            return;
        }
        let url = self.url.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on; use a private one.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(Any::force_drop_database(&url)).ok()
        })
        .join();
    }
}
