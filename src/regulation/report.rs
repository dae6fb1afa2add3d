//! Generating a regulator report: which regimes and formats exist, building the typed report,
//! rendering it, and recording what was handed out (the `reports` row, the timeline, the audit
//! log), with the SHA-256 of the exact bytes.
use super::gdpr;
use crate::audit::Actor;
use crate::error::AppError;
use crate::incidents::Incident;
use crate::playbooks::Playbooks;
use crate::population::PopulationFacts;
use axum::response::{IntoResponse, Response};
use entity::report;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set, TransactionTrait};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The regimes Tocsin writes reports for. Ids are REGULATIONS.md's, matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    EuGdpr,
}

impl Regime {
    pub const ALL: &'static [Regime] = &[Regime::EuGdpr];

    pub fn id(self) -> &'static str {
        match self {
            Regime::EuGdpr => gdpr::REGIME,
        }
    }

    pub fn parse(id: &str) -> Option<Regime> {
        let id = id.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.id().eq_ignore_ascii_case(id))
    }

    fn supported() -> Vec<&'static str> {
        Self::ALL.iter().map(|r| r.id()).collect()
    }
}

/// The formats a report can be asked for. Only some are available yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Html,
    Pdf,
}

impl Format {
    pub const AVAILABLE: &'static [Format] = &[Format::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }

    /// Parses a format name; a known format that is not available yet is an error too.
    pub fn parse(name: &str) -> Result<Format, ReportError> {
        let format = match name.trim().to_ascii_lowercase().as_str() {
            "json" => Format::Json,
            "csv" => Format::Csv,
            "html" => Format::Html,
            "pdf" => Format::Pdf,
            _ => return Err(ReportError::UnknownFormat(clip(name))),
        };
        if Self::AVAILABLE.contains(&format) {
            Ok(format)
        } else {
            Err(ReportError::FormatUnavailable(format))
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }

    fn available() -> Vec<&'static str> {
        Self::AVAILABLE.iter().map(|f| f.as_str()).collect()
    }
}

/// Echoes of the caller's input are kept short.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// 404 `unknown_jurisdiction`
    #[error("there is no report for jurisdiction '{0}'; supported: {supported}", supported = Regime::supported().join(", "))]
    UnknownJurisdiction(String),
    /// 400 `format_unavailable`
    #[error("the {name} format is not available yet (it comes later); {available} is available now", name = .0.as_str(), available = Format::available().join(", "))]
    FormatUnavailable(Format),
    /// 400 `unknown_format`
    #[error("'{0}' is not a report format; use json (csv, html and pdf come later)")]
    UnknownFormat(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<sea_orm::DbErr> for ReportError {
    fn from(e: sea_orm::DbErr) -> Self {
        ReportError::App(e.into())
    }
}

impl IntoResponse for ReportError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        match self {
            ReportError::UnknownJurisdiction(_) => AppError::Unknown {
                code: "unknown_jurisdiction",
                message,
                details: json!({ "supported": Regime::supported() }),
            }
            .into_response(),
            ReportError::FormatUnavailable(_) => AppError::BadRequest {
                code: "format_unavailable",
                message,
                details: json!({ "available": Format::available() }),
            }
            .into_response(),
            ReportError::UnknownFormat(_) => AppError::BadRequest {
                code: "unknown_format",
                message,
                details: json!({ "available": Format::available() }),
            }
            .into_response(),
            ReportError::App(e) => e.into_response(),
        }
    }
}

/// A report in its regime's terms, before rendering.
#[derive(Debug, Clone)]
pub enum Report {
    EuGdprArt33(gdpr::Art33Report),
}

impl Report {
    /// Builds the regime's report for an incident from the database and the playbooks.
    pub async fn build(
        db: &DatabaseConnection,
        playbooks: &Playbooks,
        regime: Regime,
        incident: &Incident,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Report, ReportError> {
        let population = PopulationFacts::load(db, incident.id).await?;
        Ok(match regime {
            Regime::EuGdpr => {
                Report::EuGdprArt33(gdpr::build(incident, playbooks, &population, now))
            }
        })
    }

    pub fn render(&self, format: Format) -> Result<Vec<u8>, ReportError> {
        match format {
            Format::Json => {
                let mut bytes = match self {
                    Report::EuGdprArt33(r) => serde_json::to_vec_pretty(r),
                }
                .map_err(|e| AppError::Internal(e.into()))?;
                bytes.push(b'\n');
                Ok(bytes)
            }
            other => Err(ReportError::FormatUnavailable(other)),
        }
    }
}

/// A generated report, as handed out and recorded.
#[derive(Debug, Clone)]
pub struct Generated {
    pub report_id: i64,
    pub incident_id: i64,
    pub regime: Regime,
    pub format: Format,
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
}

impl Generated {
    /// A file name for downloads: `TOCSIN-<id>-<REGIME>.<format>`.
    pub fn file_name(&self) -> String {
        format!(
            "TOCSIN-{}-{}.{}",
            self.incident_id,
            self.regime.id(),
            self.format.as_str()
        )
    }
}

/// Generates one report: validates the jurisdiction and format (names as the caller gave
/// them), builds and renders it, and records the `reports` row and the `report_generated`
/// event in one transaction. The API and the command line both come through here.
pub async fn generate(
    db: &DatabaseConnection,
    playbooks: &Playbooks,
    incident_id: i64,
    jurisdiction: &str,
    format: &str,
    actor: &Actor,
) -> Result<Generated, ReportError> {
    let regime = Regime::parse(jurisdiction)
        .ok_or_else(|| ReportError::UnknownJurisdiction(clip(jurisdiction)))?;
    let format = Format::parse(format)?;
    let incident = crate::incidents::find(db, incident_id)
        .await
        .map_err(AppError::from)?;
    let now = crate::audit::now();
    let bytes = Report::build(db, playbooks, regime, &incident, now)
        .await?
        .render(format)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));

    let txn = db.begin().await?;
    let row = report::ActiveModel {
        incident_id: Set(incident.id),
        jurisdiction: Set(regime.id().to_owned()),
        format: Set(format.as_str().to_owned()),
        content_sha256: Set(sha256.clone()),
        generated_by: Set(actor.account_id()),
        generated_at: Set(now),
        submitted_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::incidents::record_event(
        &txn,
        incident.id,
        actor,
        "report_generated",
        json!({
            "report_id": row.id,
            "jurisdiction": regime.id(),
            "format": format.as_str(),
            "sha256": sha256,
        }),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        incident.id = incident.id,
        report.id = row.id,
        jurisdiction = regime.id(),
        "report generated"
    );
    Ok(Generated {
        report_id: row.id,
        incident_id: incident.id,
        regime,
        format,
        bytes,
        sha256,
    })
}
