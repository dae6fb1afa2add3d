//! `tocsin ledger export`: an incident's delivery evidence, as the API streams it.
use super::{connect, err, Fail};
use crate::config::Settings;
use crate::evidence::export::{stream, Format};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::PathBuf;

pub(super) async fn export(
    settings: &Settings,
    incident: i64,
    format: &str,
    output: Option<PathBuf>,
) -> Result<(), Fail> {
    let format = Format::parse(format).ok_or_else(|| Fail::usage("--format is json or csv"))?;
    let db = connect(settings).await?;
    crate::incidents::find(&db, incident)
        .await
        .map_err(|e| match e {
            crate::incidents::IncidentError::NotFound(_) => Fail::usage(e.to_string()),
            other => Fail::runtime(other.to_string()),
        })?;
    let chunks = stream(db, incident, format);
    match output {
        None => {
            let mut stdout = std::io::stdout().lock();
            write_all(chunks, &mut stdout, "stdout").await?;
        }
        Some(path) => {
            // Written beside its destination and moved there whole: no half export is left
            // under the name asked for.
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let cannot =
                |e: std::io::Error| Fail::runtime(format!("cannot write {}: {e}", path.display()));
            let mut tmp = tempfile::Builder::new()
                .prefix(".tocsin-ledger-")
                .tempfile_in(&dir)
                .map_err(cannot)?;
            let (bytes, sha256) =
                write_all(chunks, tmp.as_file_mut(), &path.display().to_string()).await?;
            tmp.as_file().sync_all().map_err(cannot)?;
            tmp.persist(&path).map_err(|e| cannot(e.error))?;
            err!("wrote {} ({bytes} bytes, sha256 {sha256})", path.display());
        }
    }
    Ok(())
}

/// Copies the chunks to `out`; the byte count and SHA-256 of what was written.
async fn write_all(
    chunks: impl futures::Stream<Item = Result<Vec<u8>, sea_orm::DbErr>>,
    out: &mut impl Write,
    name: &str,
) -> Result<(u64, String), Fail> {
    let mut chunks = std::pin::pin!(chunks);
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        out.write_all(&chunk)
            .map_err(|e| Fail::runtime(format!("cannot write {name}: {e}")))?;
        hash.update(&chunk);
        bytes += chunk.len() as u64;
    }
    out.flush()
        .map_err(|e| Fail::runtime(format!("cannot write {name}: {e}")))?;
    Ok((bytes, hex::encode(hash.finalize())))
}
