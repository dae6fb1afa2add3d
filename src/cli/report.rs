//! `tocsin report export`.
use super::{err, open, Fail};
use crate::audit::Actor;
use crate::config::Settings;
use std::path::PathBuf;

pub(super) async fn export_report(
    settings: &Settings,
    incident: i64,
    jurisdiction: &str,
    format: &str,
    output: Option<PathBuf>,
) -> Result<(), Fail> {
    use crate::regulation::ReportError;
    let playbooks = crate::app::load_playbooks(settings)?;
    let templates = crate::app::load_templates(settings)?;
    let db = open(settings).await?;
    let generated = crate::regulation::generate(
        &db,
        &playbooks,
        &templates,
        incident,
        jurisdiction,
        format,
        &Actor::Cli,
    )
    .await
    .map_err(|e| match e {
        ReportError::App(crate::error::AppError::NotFound(what)) => {
            Fail::usage(format!("{what} not found"))
        }
        ReportError::App(other) => Fail {
            code: 1,
            message: other.to_string(),
        },
        usage => Fail::usage(usage.to_string()),
    })?;
    match output {
        Some(path) => {
            std::fs::write(&path, &generated.bytes).map_err(|e| Fail {
                code: 1,
                message: format!("cannot write {}: {e}", path.display()),
            })?;
            err!(
                "wrote {} ({} bytes, sha256 {})",
                path.display(),
                generated.bytes.len(),
                generated.sha256
            );
        }
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout();
            let _ = stdout
                .write_all(&generated.bytes)
                .and_then(|_| stdout.flush());
        }
    }
    Ok(())
}
