//! The subjects import's writer on SQLite.
//!
//! A million rows through sqlx cost a round trip between threads per statement and, for
//! multi-row upserts, a statement journal that copies every index page an upsert touches.
//! Here one thread of our own holds a plain SQLite connection to the same file and runs
//! prepared single-row statements (no statement journal is needed for those), the way
//! `sqlite3 .import` does. Everything still happens in one transaction, with the audit entry,
//! so an import is applied whole or not at all.
use super::import::ImportError;
use super::validate::{Col, SubjectRow};
use crate::audit::{self, Actor, Target};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::collections::hash_map::{Entry, HashMap};
use std::path::PathBuf;
use std::time::Duration;

/// What the writer is given.
pub(super) enum Work {
    Rows(Vec<SubjectRow>),
    /// Write the audit entry (its details plus the counts) and commit.
    Finish {
        actor: Actor,
        details: serde_json::Map<String, serde_json::Value>,
    },
}

/// Subjects inserted and updated.
pub(super) struct Counts {
    pub imported: u64,
    pub updated: u64,
}

/// The file behind a SQLite pool, or None (PostgreSQL, or an in-memory database).
pub async fn database_file(db: &DatabaseConnection) -> Result<Option<PathBuf>, ImportError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let rows = db
        .query_all(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA database_list",
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get_by_index(1)?;
        let file: Option<String> = row.try_get_by_index(2)?;
        if name == "main" {
            return Ok(file.filter(|f| !f.is_empty()).map(PathBuf::from));
        }
    }
    Ok(None)
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        ImportError::Db(sea_orm::DbErr::Custom(format!("SQLite: {e}")))
    }
}

const INSERT: &str = "INSERT INTO subjects (external_id, name, email, phone, locale, country, \
     region, birth_date, attributes, data_categories, created_at, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) \
     ON CONFLICT (external_id) DO NOTHING";
const FIND: &str = "SELECT id FROM subjects WHERE external_id = ?1";
const DEVICE: &str = "INSERT INTO subject_devices (subject_id, platform, token, created_at) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (subject_id, platform, token) DO NOTHING";

/// The update for a set of present columns, which writes only when a value differs (a
/// re-import of an unchanged registry rewrites nothing and keeps `updated_at`):
/// `SET a = ?1, b = ?2, updated_at = ?3 WHERE id = ?4 AND (a IS NOT ?1 OR b IS NOT ?2)`.
fn update_sql(mask: u16) -> String {
    let cols: Vec<&str> = Col::ALL
        .iter()
        .filter(|c| mask & c.bit() != 0)
        .map(|c| c.sql())
        .collect();
    let n = cols.len();
    let set: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    let differs: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} IS NOT ?{}", i + 1))
        .collect();
    format!(
        "UPDATE subjects SET {}, updated_at = ?{} WHERE id = ?{} AND ({})",
        set.join(", "),
        n + 1,
        n + 2,
        differs.join(" OR ")
    )
}

/// Runs on a thread of its own until `Finish` (commit) or until the sender goes away
/// (roll back: nothing of the import stays).
///
/// `alone`: nothing else in this process has the file open. If no other process has it open
/// either, the import switches the file from WAL to a rollback journal for its transaction,
/// so every page is written once instead of twice (WAL, then checkpoint), and back to WAL at
/// the end. Anyone opening the database meanwhile waits (up to the busy timeout).
pub(super) fn write(
    file: PathBuf,
    alone: bool,
    now: DateTime<Utc>,
    work: tokio::sync::mpsc::Receiver<Work>,
    spent: tokio::sync::mpsc::UnboundedSender<Vec<SubjectRow>>,
) -> Result<Counts, ImportError> {
    let mut conn = Connection::open_with_flags(
        &file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // A 32 MiB page cache holds the external_id index of a million subjects, whose pages an
    // import touches in random order.
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
         PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;",
    )?;
    // Leaving WAL needs every other connection gone. Wait a little: the pool this process
    // just closed may still be finishing (its last connection checkpoints the WAL as it
    // closes); next to a running server this gives up after that and writes through WAL.
    conn.busy_timeout(Duration::from_millis(500))?;
    let own_file = alone && journal_mode(&conn, "DELETE").as_deref() == Some("delete");
    if own_file {
        tracing::info!(
            "import: the database is not open elsewhere, so this import holds it and is writing \
             it directly until it ends (anyone opening it meanwhile waits)"
        );
    }
    conn.busy_timeout(Duration::from_secs(30))?;
    let result = write_all(&mut conn, now, work, spent);
    if own_file && journal_mode(&conn, "WAL").as_deref() != Some("wal") {
        // Whoever opens the database next through sqlx switches it back.
        tracing::warn!("the database could not be switched back to WAL after the import");
    }
    result
}

/// Sets the journal mode; the mode in force after, or None when the change failed.
fn journal_mode(conn: &Connection, mode: &str) -> Option<String> {
    conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| {
        r.get::<_, String>(0)
    })
    .ok()
    .map(|m| m.to_ascii_lowercase())
}

fn write_all(
    conn: &mut Connection,
    now: DateTime<Utc>,
    mut work: tokio::sync::mpsc::Receiver<Work>,
    spent: tokio::sync::mpsc::UnboundedSender<Vec<SubjectRow>>,
) -> Result<Counts, ImportError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stamp = crate::db::sqlite_timestamp(&now);
    let mut counts = Counts {
        imported: 0,
        updated: 0,
    };
    let finish = {
        let mut insert = tx.prepare(INSERT)?;
        let mut find = tx.prepare(FIND)?;
        let mut device = tx.prepare(DEVICE)?;
        let mut updates: HashMap<u16, rusqlite::Statement<'_>> = HashMap::new();
        let mut finish = None;
        while let Some(item) = work.blocking_recv() {
            let rows = match item {
                Work::Rows(rows) => rows,
                Work::Finish { actor, details } => {
                    finish = Some((actor, details));
                    break;
                }
            };
            for row in &rows {
                let v = |c: Col| row.value(c);
                // New subjects (every row of a first import) cost one statement; known ones
                // a second, which finds and updates the row in one go.
                let inserted = insert.execute(params![
                    row.external_id,
                    v(Col::Name),
                    v(Col::Email),
                    v(Col::Phone),
                    v(Col::Locale),
                    v(Col::Country),
                    v(Col::Region),
                    v(Col::BirthDate),
                    v(Col::Attributes).unwrap_or("{}"),
                    v(Col::DataCategories).unwrap_or("[]"),
                    stamp,
                ])?;
                let id = if inserted == 1 {
                    counts.imported += 1;
                    tx.last_insert_rowid()
                } else {
                    let id: i64 = find.query_row([&row.external_id], |r| r.get(0))?;
                    if row.present != 0 {
                        let update = match updates.entry(row.present) {
                            Entry::Occupied(e) => e.into_mut(),
                            Entry::Vacant(e) => e.insert(tx.prepare(&update_sql(row.present))?),
                        };
                        let mut n = 0;
                        for c in Col::ALL.iter().filter(|c| row.present & c.bit() != 0) {
                            n += 1;
                            let value = match c {
                                Col::Attributes => Some(v(*c).unwrap_or("{}")),
                                Col::DataCategories => Some(v(*c).unwrap_or("[]")),
                                _ => v(*c),
                            };
                            update.raw_bind_parameter(n, value)?;
                        }
                        update.raw_bind_parameter(n + 1, &stamp)?;
                        update.raw_bind_parameter(n + 2, id)?;
                        update.raw_execute()?;
                    }
                    counts.updated += 1;
                    id
                };
                for (platform, token) in &row.devices {
                    device.execute(params![id, platform.as_str(), token, stamp])?;
                }
            }
            // Freeing a batch's strings is left to the collector: this thread is the one
            // every row waits for.
            let _ = spent.send(rows);
        }
        finish
    };
    // No `Finish`: the import failed on the other side; dropping `tx` rolls everything back.
    let Some((actor, mut details)) = finish else {
        return Err(ImportError::Io("the import stopped before its end".into()));
    };
    details.insert("imported".into(), counts.imported.into());
    details.insert("updated".into(), counts.updated.into());
    audit::record_sqlite(
        &tx,
        &actor,
        "subjects.import",
        Target::new("subjects", "import"),
        serde_json::Value::Object(details),
    )?;
    tx.commit()?;
    Ok(counts)
}
