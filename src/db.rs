//! Connecting to SQLite or PostgreSQL, and migrating.
use crate::config::DatabaseUrl;
use anyhow::Context;
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use std::time::Duration;

/// Opens a pool. SQLite gets one connection (the file has one writer anyway, and a single
/// connection makes every transaction serialisable without busy errors), WAL and foreign keys.
pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<DatabaseConnection> {
    let mut opt = ConnectOptions::new(url.expose().to_owned());
    opt.sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(30));
    if url.is_sqlite() {
        opt.max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                // Bigger pages: fewer writes and shallower indexes for tables of millions of rows
                // (takes effect when the database file is created).
                o.page_size(16384)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    // 16 MiB of page cache: large imports update indexes in random order.
                    .pragma("cache_size", "-16384")
            });
    } else {
        opt.max_connections(16).min_connections(1);
    }
    Database::connect(opt)
        .await
        .with_context(|| format!("cannot open the database {url:?}"))
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migration::Migrator::up(db, None)
        .await
        .context("database migration failed")
}

/// A timestamp as sqlx stores it in SQLite (RFC 3339, `+00:00`), for writes that go
/// around sea-orm (the bulk import).
pub fn sqlite_timestamp(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

pub fn is_postgres(db: &impl sea_orm::ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// A parameterised statement written with `?` placeholders, numbered `$1, $2, …` for
/// PostgreSQL. Values are always bound, never spliced into the SQL.
pub fn stmt(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}
