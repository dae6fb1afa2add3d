//! `tocsin report export` and `tocsin report versions`.
use super::{err, open, out, Fail};
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
    let fonts =
        crate::regulation::pdf::Fonts::discover(settings.pdf_font.as_deref()).map_err(|e| {
            Fail {
                code: 1,
                message: e.to_string(),
            }
        })?;
    let db = open(settings).await?;
    let generated = crate::regulation::generate(
        &db,
        crate::regulation::report::Sources {
            playbooks: &playbooks,
            templates: &templates,
            fonts: &fonts,
        },
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

/// Prints the saved versions of a report: number, kind, when saved, missing fields, hash, and
/// when and how it was submitted.
pub(super) async fn versions(
    settings: &Settings,
    incident: i64,
    jurisdiction: &str,
) -> Result<(), Fail> {
    use crate::regulation::ReportError;
    let playbooks = crate::app::load_playbooks(settings)?;
    let db = open(settings).await?;
    let fail = |e: ReportError| match e {
        ReportError::App(crate::error::AppError::NotFound(what)) => {
            Fail::usage(format!("{what} not found"))
        }
        ReportError::App(other) => Fail {
            code: 1,
            message: other.to_string(),
        },
        usage => Fail::usage(usage.to_string()),
    };
    let regime = crate::regulation::report::regime(&playbooks, jurisdiction).map_err(fail)?;
    let list = crate::regulation::versions::list(&db, incident, &regime)
        .await
        .map_err(fail)?;
    if list.is_empty() {
        out!(
            "no saved versions of the {} report for incident {incident}",
            regime.id
        );
        return Ok(());
    }
    out!(
        "{:>3}  {:<9}  {:<20}  {:>7}  {:<12}  submitted",
        "v",
        "kind",
        "saved",
        "missing",
        "sha256"
    );
    for v in list {
        let submitted = match (&v.submitted_at, &v.submitted_how) {
            (Some(at), how) => format!(
                "{} ({})",
                at.format("%Y-%m-%d %H:%M UTC"),
                how.as_deref().unwrap_or("")
            ),
            (None, _) => "not yet".into(),
        };
        out!(
            "{:>3}  {:<9}  {:<20}  {:>7}  {:<12}  {submitted}",
            v.version,
            v.kind.as_str(),
            v.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            v.missing,
            &v.sha256[..12]
        );
    }
    Ok(())
}
