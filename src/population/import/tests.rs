//! The import pipeline when one of its threads dies: the import fails and nothing of it is
//! committed.
use super::*;
use crate::config::DatabaseUrl;
use std::io::Cursor;

/// A fresh, migrated SQLite database in `dir`, and a signing key for its audit entries.
async fn database(dir: &tempfile::TempDir) -> DatabaseConnection {
    crate::chain::signer::install(crate::chain::Signer::from_seed(&[7; 32]).unwrap()).unwrap();
    let file = dir.path().join("tocsin.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}?mode=rwc", file.display())).unwrap();
    let db = crate::db::connect(&url).await.unwrap();
    crate::db::migrate(&db).await.unwrap();
    db
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = db
        .query_one(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// `rows` good subjects, one a line after the header.
fn csv(rows: usize) -> Vec<u8> {
    let mut csv = String::from("external_id,email\n");
    for i in 0..rows {
        csv.push_str(&format!("s{i},s{i}@example.com\n"));
    }
    csv.into_bytes()
}

/// Runs the pipeline on `input` with `check` into a fresh database; its result, and the
/// subjects and audit entries stored after.
async fn run<R: Read + Send + 'static>(input: R, check: Check) -> (Result<u64, String>, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir).await;
    let audit_before = count(&db, "audit_log").await;
    let input = Input {
        reader: input,
        format: Format::Csv,
        bytes_read: Arc::new(AtomicU64::new(0)),
    };
    let target = ImportTarget::Database(db.clone());
    let result = pipeline(
        &target,
        input,
        Arc::new(Vec::new()),
        &Actor::System,
        |_| {},
        check,
    )
    .await
    .map(|r| r.imported)
    .map_err(|e| e.to_string());
    let audit = count(&db, "audit_log").await - audit_before;
    (result, count(&db, "subjects").await, audit)
}

/// Checks batches as in life, but dies on the third.
fn dies_on_batch_3(items: Vec<Item>, categories: &[String], memo: &mut Memo) -> Msg {
    // The header is line 1: the third batch starts on line 2 + 2 × BATCH.
    if let Some(Item::Record(raw)) = items.first() {
        if raw.line == 2 + 2 * BATCH as u64 {
            panic!("a validator dies (on purpose, in a test)");
        }
    }
    check(items, categories, memo)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_that_dies_fails_the_import_and_commits_nothing() {
    let (result, subjects, audit) = run(Cursor::new(csv(10 * BATCH)), dies_on_batch_3).await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!((subjects, audit), (0, 0));
}

/// Input that breaks down (a panic, as a bug in a reader would) after `after` bytes.
struct DiesMidway {
    data: Cursor<Vec<u8>>,
    after: u64,
}

impl Read for DiesMidway {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.data.position() >= self.after {
            panic!("the reader dies (on purpose, in a test)");
        }
        self.data.read(buf)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_dies_fails_the_import_and_commits_nothing() {
    let data = csv(20_000);
    assert!(data.len() > 400_000, "more than the first read takes");
    let input = DiesMidway {
        data: Cursor::new(data),
        after: 200_000,
    };
    let (result, subjects, audit) = run(input, check).await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!((subjects, audit), (0, 0));
}

/// The same pipeline, unharmed, commits everything: the tests above fail for the reason given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unharmed_pipeline_commits_every_row() {
    let (result, subjects, audit) = run(Cursor::new(csv(10 * BATCH)), check).await;
    assert_eq!(result, Ok(10 * BATCH as u64));
    assert_eq!((subjects, audit), (10 * BATCH as i64, 1));
}
