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
/// A report error as the command line says it: usage errors exit 2, the rest 1.
fn fail(e: crate::regulation::ReportError) -> Fail {
    use crate::regulation::ReportError;
    match e {
        ReportError::App(crate::error::AppError::NotFound(what)) => {
            Fail::usage(format!("{what} not found"))
        }
        ReportError::App(crate::error::AppError::Validation(fields)) => Fail::usage(
            fields
                .iter()
                .map(|(f, r)| format!("{f}: {r}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ReportError::App(other) => Fail {
            code: 1,
            message: other.to_string(),
        },
        usage => Fail::usage(usage.to_string()),
    }
}

/// Saves the report as the next version and prints its number and hash.
pub(super) async fn save(
    settings: &Settings,
    incident: i64,
    jurisdiction: &str,
    kind: String,
) -> Result<(), Fail> {
    let playbooks = crate::app::load_playbooks(settings)?;
    let templates = crate::app::load_templates(settings)?;
    let db = open(settings).await?;
    let regime = crate::regulation::report::regime(&playbooks, jurisdiction).map_err(fail)?;
    let build = crate::regulation::report::Build {
        playbooks: &playbooks,
        templates: &templates,
        kind: None,
        now: crate::audit::now(),
    };
    let v = crate::regulation::versions::save(
        &db,
        &build,
        incident,
        &regime,
        crate::regulation::versions::SaveRequest { kind },
        &Actor::Cli,
    )
    .await
    .map_err(fail)?;
    out!(
        "saved version {} ({}) of the {} report: {} fields to complete, sha256 {}",
        v.version,
        v.kind.as_str(),
        regime.id,
        v.missing,
        v.sha256
    );
    Ok(())
}

/// Records a version's submission.
pub(super) async fn submit(
    settings: &Settings,
    incident: i64,
    jurisdiction: &str,
    version: i32,
    how: String,
    at: Option<String>,
) -> Result<(), Fail> {
    let playbooks = crate::app::load_playbooks(settings)?;
    let db = open(settings).await?;
    let regime = crate::regulation::report::regime(&playbooks, jurisdiction).map_err(fail)?;
    let v = crate::regulation::versions::submit(
        &db,
        &playbooks,
        incident,
        &regime,
        version,
        crate::regulation::versions::SubmitRequest {
            how,
            at,
            obligation: None,
        },
        &Actor::Cli,
        crate::audit::now(),
    )
    .await
    .map_err(fail)?;
    out!(
        "version {} of the {} report recorded as submitted at {}",
        v.version,
        regime.id,
        v.submitted_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    );
    Ok(())
}

pub(super) async fn versions(
    settings: &Settings,
    incident: i64,
    jurisdiction: &str,
) -> Result<(), Fail> {
    let playbooks = crate::app::load_playbooks(settings)?;
    let db = open(settings).await?;
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
