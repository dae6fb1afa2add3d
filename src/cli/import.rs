//! `tocsin subjects import FILE`, with a progress bar on a terminal.
use super::{open, out, Fail};
use crate::audit::Actor;
use crate::config::Settings;
use crate::population::{import_subjects, Format, ImportTarget};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub(super) async fn import_file(
    settings: &Settings,
    file: PathBuf,
    format: Option<String>,
) -> Result<(), Fail> {
    let format = match format.as_deref() {
        Some("csv") => Format::Csv,
        Some("jsonl") => Format::Jsonl,
        _ => Format::from_path(&file).ok_or_else(|| {
            Fail::usage(format!(
                "{}: unknown extension; use .csv, .jsonl or .ndjson, or pass --format",
                file.display()
            ))
        })?,
    };
    let handle = std::fs::File::open(&file)
        .map_err(|e| Fail::usage(format!("cannot open {}: {e}", file.display())))?;
    let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let playbooks = crate::app::load_playbooks(settings)?;
    let db = open(settings).await?;
    let target = match crate::population::database_file(&db).await {
        // Nothing else in this process needs the database meanwhile: closing the pool lets
        // the import have the file to itself when no other process has it open.
        Ok(Some(path)) => {
            let _ = db.close().await;
            ImportTarget::SqliteFile(path)
        }
        _ => ImportTarget::Database(db),
    };
    let read = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(size, read.clone());
    let file_name = file.display().to_string();
    let result = import_subjects(
        &target,
        handle,
        format,
        Arc::new(playbooks.own_categories()),
        &Actor::Cli,
        read,
        |r| {
            let line = format!("{file_name}:{}: rejected: {}", r.line, r.reason);
            match &bar {
                Some(b) => b.0.println(line),
                None => out!("{line}"),
            }
        },
    )
    .await;
    if let Some(b) = bar {
        b.finish();
    }
    match result {
        Ok(r) => {
            out!(
                "imported {}, updated {}, rejected {}",
                r.imported,
                r.updated,
                r.rejected_count
            );
            Ok(())
        }
        Err(e) if !e.is_bad_input() => Err(Fail {
            code: 1,
            message: format!("{e}; nothing was imported"),
        }),
        Err(e) => Err(Fail::usage(format!(
            "{file_name}: {e}; nothing was imported"
        ))),
    }
}

struct Progress(indicatif::ProgressBar, tokio::task::JoinHandle<()>);

impl Progress {
    fn finish(self) {
        self.1.abort();
        self.0.finish_and_clear();
    }
}

/// A byte-progress bar on a terminal; nothing when stderr is not one.
fn progress_bar(size: u64, read: Arc<AtomicU64>) -> Option<Progress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    let ticker = tokio::spawn(async move {
        loop {
            b.set_position(read.load(Ordering::Relaxed));
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    Some(Progress(bar, ticker))
}
