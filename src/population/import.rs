//! Subjects import: CSV or JSONL, streamed in batches, validated at the boundary, upserted by
//! `external_id`.
//!
//! A reader thread parses records and deals them in batches to validator threads; the checked
//! batches are collected in file order and written inside one transaction — on SQLite by a
//! writer thread with a connection of its own (`sqlite_bulk`), elsewhere as multi-row upserts —
//! so a fatal error (not CSV/JSONL, no `external_id` column, an over-large record) anywhere in
//! the file, or a thread of the import dying, rolls everything back and changes nothing (only
//! an end of file said by the reader commits). Rejected lines are reported with their
//! line numbers and skipped. Rows identical to what is stored are not rewritten. Memory stays
//! bounded: at most a few batches are in flight, and at most `MAX_REPORTED` rejections (and
//! `MAX_REPORTED_BYTES` of their reasons) are kept for the response.
use super::read::{read_all, Item};
use super::sqlite_bulk::{self, Counts, Work};
use super::validate::{validate, Col, Memo, SubjectRow};
use crate::audit::{self, Actor, Target};
use crate::db::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait, Value as DbValue,
};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// The longest CSV record, or JSONL line, accepted (bytes).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Rows per upsert statement.
const BATCH: usize = 250;
/// Rejections kept in the report, and the bytes of their reasons; the count goes on past
/// either.
const MAX_REPORTED: usize = 10_000;
const MAX_REPORTED_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// From a file name: `.csv`, `.jsonl` / `.ndjson`.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub imported: u64,
    pub updated: u64,
    pub rejected: Vec<Rejected>,
    pub rejected_count: u64,
    /// True when more lines were rejected than `rejected` lists.
    pub rejected_truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    NotTabular(String),
    #[error("the header has no 'external_id' column: every subject needs one (it is the key re-imports update)")]
    MissingExternalId,
    #[error("line {line} is longer than {MAX_LINE_BYTES} bytes: is this the right file?")]
    LineTooLong { line: u64 },
    /// A CSV record that runs over several lines past the limit: an open quote, usually.
    #[error(
        "the record that starts on line {line} runs over several lines past {MAX_LINE_BYTES} \
         bytes: a quoted field there probably lacks its closing quote"
    )]
    RecordTooLong { line: u64 },
    #[error("reading the input failed: {0}")]
    Io(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A bug: a thread of the import died.
    #[error("the import stopped: {0}")]
    Internal(String),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::NotTabular(_) => "not_tabular",
            ImportError::MissingExternalId => "missing_external_id",
            ImportError::LineTooLong { .. } => "line_too_long",
            ImportError::RecordTooLong { .. } => "record_too_long",
            ImportError::Io(_) => "read_failed",
            ImportError::Db(_) | ImportError::Internal(_) => "internal",
        }
    }

    /// Whether the input is to blame (exit code 2, HTTP 4xx).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ImportError::Db(_) | ImportError::Internal(_))
    }
}

/// What the reader deals to a validator: a batch, the fatal error that ends the import, or
/// the end of the file.
enum Dealt {
    Items(Vec<Item>),
    Failed(ImportError),
    End,
}

/// A batch after validation, the fatal error that ends the import, or the end of the file.
/// The end is said, not inferred from a closed channel: a thread that dies closes its
/// channel too, and that must not commit what came before.
enum Msg {
    Checked {
        rows: Vec<SubjectRow>,
        rejected: Vec<Rejected>,
    },
    Failed(ImportError),
    End,
}

/// Starts a thread of the stages that feed the writer (threads of their own, not the runtime's
/// blocking pool: an import keeps them busy from start to end).
fn feeder(
    name: &str,
    work: impl FnOnce() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, ImportError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(work)
        .map_err(|e| ImportError::Io(format!("cannot start a thread: {e}")))
}

/// The import's error when one of its threads died (a bug; the panic is in the log).
fn died() -> ImportError {
    ImportError::Internal("a reader or validator thread failed".into())
}

/// What checks a batch: `check`; tests pass one that fails on purpose.
type Check = fn(Vec<Item>, &[String], &mut Memo) -> Msg;

/// Validates a batch.
fn check(items: Vec<Item>, categories: &[String], memo: &mut Memo) -> Msg {
    let mut rows = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for item in items {
        match item {
            Item::Unreadable { line, reason } => rejected.push(Rejected { line, reason }),
            Item::Record(raw) => {
                let line = raw.line;
                match validate(raw, categories, memo) {
                    Ok(row) => rows.push(row),
                    Err(reason) => rejected.push(Rejected { line, reason }),
                }
            }
        }
    }
    Msg::Checked { rows, rejected }
}

/// Imports subjects from `input`. `on_reject` sees every rejected line as it is found;
/// `bytes_read` counts input bytes for a progress display.
pub async fn import_subjects<R: Read + Send + 'static>(
    target: &ImportTarget,
    input: R,
    format: Format,
    categories: Arc<Vec<String>>,
    actor: &Actor,
    bytes_read: Arc<AtomicU64>,
    on_reject: impl FnMut(&Rejected) + Send,
) -> Result<ImportReport, ImportError> {
    let input = Input {
        reader: input,
        format,
        bytes_read,
    };
    pipeline(target, input, categories, actor, on_reject, check).await
}

/// What the reader thread reads.
struct Input<R> {
    reader: R,
    format: Format,
    bytes_read: Arc<AtomicU64>,
}

/// `import_subjects`, with the batch check given.
async fn pipeline<R: Read + Send + 'static>(
    target: &ImportTarget,
    input: Input<R>,
    categories: Arc<Vec<String>>,
    actor: &Actor,
    mut on_reject: impl FnMut(&Rejected) + Send,
    check: Check,
) -> Result<ImportReport, ImportError> {
    let format = input.format;
    let now = audit::now();
    // Three stages overlap: a reader thread parses records a batch at a time and deals the
    // batches round-robin to validator threads (phone numbers dominate their cost); this task
    // collects the checked batches in the same order, so rows reach the writer in file order.
    // One core is the writer's; the validators share the others (the reader is light).
    let validators = std::thread::available_parallelism().map_or(1, |n| (n.get() - 1).clamp(1, 4));
    let mut inputs = Vec::with_capacity(validators);
    let mut outputs = Vec::with_capacity(validators);
    let mut threads = Vec::with_capacity(validators + 1);
    for _ in 0..validators {
        let (in_tx, in_rx) = std::sync::mpsc::sync_channel::<Dealt>(2);
        let (out_tx, out_rx) = tokio::sync::mpsc::channel::<Msg>(2);
        inputs.push(in_tx);
        outputs.push(out_rx);
        let categories = categories.clone();
        threads.push(feeder("tocsin-validate", move || {
            let mut memo = Memo::default();
            for batch in in_rx {
                let msg = match batch {
                    Dealt::Items(items) => check(items, &categories, &mut memo),
                    Dealt::Failed(e) => Msg::Failed(e),
                    Dealt::End => Msg::End,
                };
                if out_tx.blocking_send(msg).is_err() {
                    return;
                }
            }
        })?);
    }
    threads.push(feeder("tocsin-read", move || {
        let mut pending: Vec<Item> = Vec::with_capacity(BATCH);
        let mut next = 0;
        let mut deal = |batch| {
            let sent = inputs[next % inputs.len()].send(batch).is_ok();
            next += 1;
            sent
        };
        let result = read_all(input.reader, format, input.bytes_read, |item| {
            pending.push(item);
            pending.len() < BATCH
                || deal(Dealt::Items(std::mem::replace(
                    &mut pending,
                    Vec::with_capacity(BATCH),
                )))
        });
        match result {
            Ok(()) => {
                let _ = deal(Dealt::Items(pending)) && deal(Dealt::End);
            }
            Err(e) => {
                deal(Dealt::Failed(e));
            }
        }
    })?);

    let mut report = ImportReport::default();
    let mut reported_bytes = 0;
    let mut writer = Writer::start(target, now).await?;
    let outcome: Result<(), ImportError> = async {
        for k in 0.. {
            let n = outputs.len();
            let Some(msg) = outputs[k % n].recv().await else {
                return Err(died());
            };
            let (rows, rejected) = match msg {
                Msg::Checked { rows, rejected } => (rows, rejected),
                Msg::Failed(e) => return Err(e),
                Msg::End => return Ok(()),
            };
            for r in rejected {
                on_reject(&r);
                report.rejected_count += 1;
                reported_bytes += r.reason.len();
                if report.rejected.len() < MAX_REPORTED && reported_bytes <= MAX_REPORTED_BYTES {
                    report.rejected.push(r);
                } else {
                    report.rejected_truncated = true;
                }
            }
            if !rows.is_empty() {
                writer.rows(rows, now, &mut report).await?;
            }
            if writer.stopped() {
                return Ok(()); // `finish` reports why
            }
        }
        Ok(())
    }
    .await;
    drop(outputs);
    let joined = tokio::task::spawn_blocking(move || threads.into_iter().all(|t| t.join().is_ok()));
    let outcome = match (outcome, joined.await) {
        (Ok(()), Ok(true)) => Ok(()),
        (Ok(()), _) => Err(died()),
        (Err(e), _) => Err(e),
    };
    match outcome {
        Ok(()) => {
            let mut details = serde_json::Map::new();
            details.insert("format".into(), format!("{format:?}").to_lowercase().into());
            details.insert("rejected".into(), report.rejected_count.into());
            writer.finish(actor, details, &mut report).await?;
            Ok(report)
        }
        Err(e) => {
            writer.abandon().await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests;

/// Where an import goes.
pub enum ImportTarget {
    /// A database this process keeps using meanwhile (the server).
    Database(DatabaseConnection),
    /// A SQLite file that nothing else in this process has open (the command line): the
    /// writer takes the file for itself when no other process has it open either.
    SqliteFile(PathBuf),
}

/// Where validated rows go: SQLite's own bulk writer on a thread of its own (see
/// `sqlite_bulk`), or multi-row upserts in a sea-orm transaction (PostgreSQL).
enum Writer {
    Sqlite {
        work: tokio::sync::mpsc::Sender<Work>,
        /// Batches the writer is done with, to be freed here.
        spent: tokio::sync::mpsc::UnboundedReceiver<Vec<SubjectRow>>,
        thread: tokio::task::JoinHandle<Result<Counts, ImportError>>,
    },
    Sql(DatabaseTransaction),
}

impl Writer {
    async fn start(target: &ImportTarget, now: DateTime<Utc>) -> Result<Writer, ImportError> {
        let (file, alone) = match target {
            ImportTarget::SqliteFile(file) => (file.clone(), true),
            ImportTarget::Database(db) => match sqlite_bulk::database_file(db).await? {
                Some(file) => (file, false),
                None => return Ok(Writer::Sql(db.begin().await?)),
            },
        };
        let (work, rx) = tokio::sync::mpsc::channel(4);
        let (spent_tx, spent) = tokio::sync::mpsc::unbounded_channel();
        let thread =
            tokio::task::spawn_blocking(move || sqlite_bulk::write(file, alone, now, rx, spent_tx));
        Ok(Writer::Sqlite {
            work,
            spent,
            thread,
        })
    }

    /// Whether the SQLite writer has stopped early (on an error of its own).
    fn stopped(&self) -> bool {
        matches!(self, Writer::Sqlite { work, .. } if work.is_closed())
    }

    async fn rows(
        &mut self,
        rows: Vec<SubjectRow>,
        now: DateTime<Utc>,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        match self {
            Writer::Sqlite { work, spent, .. } => {
                while spent.try_recv().is_ok() {} // each spent batch is freed here
                                                  // A closed channel means the writer stopped on an error, which `finish` reports.
                let _ = work.send(Work::Rows(rows)).await;
                Ok(())
            }
            Writer::Sql(txn) => {
                let batch = prepare(rows, txn.get_database_backend(), now);
                Ok(apply(txn, batch, report).await?)
            }
        }
    }

    async fn finish(
        self,
        actor: &Actor,
        mut details: serde_json::Map<String, serde_json::Value>,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        match self {
            Writer::Sqlite { work, thread, .. } => {
                let actor = actor.clone();
                let _ = work.send(Work::Finish { actor, details }).await;
                drop(work);
                let counts = thread.await.map_err(|e| {
                    ImportError::Internal(format!("the database writer failed: {e}"))
                })??;
                report.imported = counts.imported;
                report.updated = counts.updated;
                Ok(())
            }
            Writer::Sql(txn) => {
                details.insert("imported".into(), report.imported.into());
                details.insert("updated".into(), report.updated.into());
                audit::record(
                    &txn,
                    actor,
                    "subjects.import",
                    Target::new("subjects", "import"),
                    serde_json::Value::Object(details),
                )
                .await?;
                txn.commit().await?;
                Ok(())
            }
        }
    }

    /// Rolls everything back.
    async fn abandon(self) {
        match self {
            Writer::Sqlite { work, thread, .. } => {
                drop(work);
                let _ = thread.await;
            }
            Writer::Sql(txn) => {
                let _ = txn.rollback().await;
            }
        }
    }
}

/// One batch, ready to run.
struct Prepared {
    rows: u64,
    /// Repeats of an external_id within the batch (each an update).
    repeats: u64,
    count: Statement,
    upserts: Vec<Statement>,
    devices: Option<Statement>,
}

/// Builds a batch's statements for the generic writer (PostgreSQL). None returns rows.
fn prepare(rows: Vec<SubjectRow>, backend: DbBackend, now: DateTime<Utc>) -> Prepared {
    // A repeated external_id within a batch is applied in file order: later values win
    // column by column, and it counts as an update.
    let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut merged: Vec<SubjectRow> = Vec::with_capacity(rows.len());
    let mut repeats = 0;
    for r in rows {
        match index.get(&r.external_id) {
            Some(&i) => {
                merged[i].absorb(r);
                repeats += 1;
            }
            None => {
                index.insert(r.external_id.clone(), merged.len());
                merged.push(r);
            }
        }
    }
    drop(index);
    let mut rows = merged;

    // New or known: one count, before the upsert.
    let marks = vec!["?"; rows.len()].join(",");
    let ids: Vec<DbValue> = rows.iter().map(|r| r.external_id.clone().into()).collect();
    let count = stmt(
        backend,
        &format!("SELECT COUNT(*) AS n FROM subjects WHERE external_id IN ({marks})"),
        ids,
    );

    // One statement per set of present columns (CSV files have one; JSONL usually one).
    let mut groups: Vec<(u16, Vec<usize>)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match groups.iter_mut().find(|(m, _)| *m == r.present) {
            Some((_, g)) => g.push(i),
            None => groups.push((r.present, vec![i])),
        }
    }
    let mut upserts = Vec::with_capacity(groups.len());
    for (mask, members) in groups {
        let updates: Vec<String> = Col::ALL
            .iter()
            .filter(|c| mask & c.bit() != 0)
            .map(|c| format!("{0} = excluded.{0}", c.sql()))
            .chain(std::iter::once(
                "updated_at = excluded.updated_at".to_string(),
            ))
            .collect();
        let row_sql = format!("({})", ["?"; 12].join(","));
        let mut sql = String::from(
            "INSERT INTO subjects (external_id, name, email, phone, locale, country, region, \
             birth_date, attributes, data_categories, created_at, updated_at) VALUES ",
        );
        sql.push_str(&vec![row_sql.as_str(); members.len()].join(","));
        // Only rows with a changed value are written: an unchanged row keeps its updated_at.
        let differs: Vec<String> = Col::ALL
            .iter()
            .filter(|c| mask & c.bit() != 0)
            .map(|c| format!("subjects.{0} IS DISTINCT FROM excluded.{0}", c.sql()))
            .collect();
        sql.push_str(" ON CONFLICT (external_id) DO UPDATE SET ");
        sql.push_str(&updates.join(", "));
        if differs.is_empty() {
            sql.push_str(" WHERE false");
        } else {
            sql.push_str(" WHERE ");
            sql.push_str(&differs.join(" OR "));
        }
        let mut values: Vec<DbValue> = Vec::with_capacity(members.len() * 12);
        for &i in &members {
            let r = &mut rows[i];
            values.push(r.external_id.clone().into());
            for c in Col::ALL {
                let v = r.value(c).map(str::to_owned);
                let v = match c {
                    Col::Attributes => Some(v.unwrap_or_else(|| "{}".into())),
                    Col::DataCategories => Some(v.unwrap_or_else(|| "[]".into())),
                    _ => v,
                };
                values.push(v.into());
            }
            values.push(now.into());
            values.push(now.into());
        }
        upserts.push(stmt(backend, &sql, values));
    }

    // Push devices, joined to their subjects by external_id inside the database.
    let devices: Vec<(&str, &str, &str)> = rows
        .iter()
        .flat_map(|r| {
            r.devices
                .iter()
                .map(move |(p, t)| (r.external_id.as_str(), p.as_str(), t.as_str()))
        })
        .collect();
    let devices = (!devices.is_empty()).then(|| {
        let mut values: Vec<DbValue> = Vec::with_capacity(devices.len() * 3 + 1);
        values.push(now.into());
        for (e, p, t) in &devices {
            values.push((*e).into());
            values.push((*p).into());
            values.push((*t).into());
        }
        // `WHERE 1 = 1` keeps SQLite from reading ON CONFLICT as a join constraint.
        let sql = format!(
            "INSERT INTO subject_devices (subject_id, platform, token, created_at) \
             SELECT s.id, v.column2, v.column3, ? FROM (VALUES {}) AS v \
             JOIN subjects s ON s.external_id = v.column1 WHERE 1 = 1 \
             ON CONFLICT (subject_id, platform, token) DO NOTHING",
            vec!["(?,?,?)"; devices.len()].join(",")
        );
        stmt(backend, &sql, values)
    });
    Prepared {
        rows: rows.len() as u64,
        repeats,
        count,
        upserts,
        devices,
    }
}

/// Runs a prepared batch and counts what it did.
async fn apply(
    db: &impl ConnectionTrait,
    batch: Prepared,
    report: &mut ImportReport,
) -> Result<(), sea_orm::DbErr> {
    let existing = db
        .query_one(batch.count)
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0) as u64;
    report.updated += batch.repeats + existing;
    report.imported += batch.rows - existing;
    for s in batch.upserts {
        db.execute(s).await?;
    }
    if let Some(s) = batch.devices {
        db.execute(s).await?;
    }
    Ok(())
}
