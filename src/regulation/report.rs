//! Generating a regulator report: which regimes and formats exist, gathering the facts and
//! building the regime's [`Document`], rendering it, and recording what was handed out (the
//! `reports` row, the timeline, the audit log), with the SHA-256 of the exact bytes.
use super::document::Document;
use super::forms::{self, Facts, Form, VersionKind};
use super::pdf::Fonts;
use crate::audit::Actor;
use crate::error::AppError;
use crate::incidents::Incident;
use crate::playbooks::Playbooks;
use crate::population::PopulationFacts;
use crate::templates::Templates;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use entity::report;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set, TransactionTrait};
use serde_json::json;
use sha2::{Digest, Sha256};

/// A regime Tocsin writes reports for: one with a form of its own, or any other regime the
/// rules know (a generic report). Ids are REGULATIONS.md's, matched case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regime {
    /// As Tocsin spells it (`EU-GDPR`).
    pub id: String,
    pub form: Form,
}

impl Regime {
    pub fn parse(id: &str, playbooks: &Playbooks) -> Option<Regime> {
        let id = id.trim();
        if let Some((name, form)) = Form::DEDICATED
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(id))
        {
            return Some(Regime {
                id: (*name).to_owned(),
                form: *form,
            });
        }
        playbooks.jurisdictions.rule(id).map(|r| Regime {
            id: r.id.clone(),
            form: Form::Generic,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Every regime a report can be asked for, sorted.
    pub fn supported(playbooks: &Playbooks) -> Vec<String> {
        let mut v: Vec<String> = Form::DEDICATED
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .chain(playbooks.jurisdictions.rules.keys().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// The formats a report can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Html,
    Pdf,
}

impl Format {
    pub const AVAILABLE: &'static [Format] =
        &[Format::Json, Format::Csv, Format::Html, Format::Pdf];

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

    pub(crate) fn available() -> Vec<&'static str> {
        Self::AVAILABLE.iter().map(|f| f.as_str()).collect()
    }
}

/// Echoes of the caller's input are kept short.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// 404 `unknown_jurisdiction`
    #[error("there is no report for jurisdiction '{given}'; supported: {}", supported.join(", "))]
    UnknownJurisdiction {
        given: String,
        supported: Vec<String>,
    },
    /// 400 `format_unavailable`
    #[error("the {name} format is not available in this build; available: {available}", name = .0.as_str(), available = Format::available().join(", "))]
    FormatUnavailable(Format),
    /// 400 `unknown_format`
    #[error("'{0}' is not a report format; use one of: {available}", available = Format::available().join(", "))]
    UnknownFormat(String),
    /// 404 `not_found`
    #[error("version {0} of this report does not exist")]
    VersionNotFound(i32),
    /// 409 `already_submitted`
    #[error("version {version} was already recorded as submitted at {at}")]
    AlreadySubmitted { version: i32, at: DateTime<Utc> },
    /// 422 `invalid`
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
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
            ReportError::UnknownJurisdiction { supported, .. } => AppError::Unknown {
                code: "unknown_jurisdiction",
                message,
                details: json!({ "supported": supported }),
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
            ReportError::VersionNotFound(_) => {
                AppError::NotFound("report version".into()).into_response()
            }
            ReportError::AlreadySubmitted { version, at } => AppError::ConflictDetails {
                code: "already_submitted",
                message,
                details: json!({ "version": version, "submitted_at": at }),
            }
            .into_response(),
            ReportError::Invalid { field, reason } => {
                AppError::Validation(vec![(field.to_owned(), reason)]).into_response()
            }
            ReportError::App(e) => e.into_response(),
        }
    }
}

/// Validates a jurisdiction as the caller gave it.
pub fn regime(playbooks: &Playbooks, jurisdiction: &str) -> Result<Regime, ReportError> {
    Regime::parse(jurisdiction, playbooks).ok_or_else(|| ReportError::UnknownJurisdiction {
        given: clip(jurisdiction),
        supported: Regime::supported(playbooks),
    })
}

/// The individual notice, as plain text, that someone living in `country` / `region` gets:
/// the same content and templates the notices are composed from.
fn sample_notice(
    templates: &Templates,
    playbooks: &Playbooks,
    i: &Incident,
    people: &PopulationFacts,
    country: &str,
    region: Option<&str>,
    now: DateTime<Utc>,
) -> Option<String> {
    use crate::notices::{completeness, content::NoticeContent, render};
    let base = NoticeContent::build(i, playbooks, None);
    let found = completeness::findings(playbooks, i, &people.counts(), now);
    let mut per = completeness::PerPerson::new(playbooks, base, found);
    let content = per.content(Some(country), region).clone();
    match render::email(templates, "en", &content, None) {
        Ok(r) => Some(format!("{}\n\n{}", r.subject, r.text.trim())),
        Err(e) => {
            tracing::warn!(error = %e, "the sample notice could not be rendered");
            None
        }
    }
}

/// What reports are made with: the playbooks, the notice templates (sample notices) and the
/// PDF fonts, as loaded at start-up.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub playbooks: &'a Playbooks,
    pub templates: &'a Templates,
    pub fonts: &'a Fonts,
}

impl<'a> Sources<'a> {
    pub fn of(state: &'a crate::app::AppState) -> Sources<'a> {
        Sources {
            playbooks: &state.playbooks,
            templates: &state.templates,
            fonts: &state.pdf_fonts,
        }
    }
}

/// What a report is built from, besides the incident: the report kind and when the regime's
/// report was first submitted (from its versions).
pub struct Build<'a> {
    pub playbooks: &'a Playbooks,
    pub templates: &'a Templates,
    pub kind: Option<VersionKind>,
    pub now: DateTime<Utc>,
}

/// Builds the regime's document for the incident as it stands now. Without a kind, a regime
/// with no saved version gets an initial report, else a follow-up.
pub async fn document(
    db: &impl ConnectionTrait,
    b: &Build<'_>,
    regime: &Regime,
    incident: &Incident,
) -> Result<Document, ReportError> {
    let population = PopulationFacts::load(db, incident.id).await?;
    let unreached = if incident.notices.dispatched_at.is_some() {
        PopulationFacts::from_groups(
            crate::delivery::store::unreached_groups(db, incident.id).await?,
        )
    } else {
        PopulationFacts::default()
    };
    let gathered = super::obligations::gather::gather(db, b.playbooks, incident).await?;
    let findings = super::obligations::refresh::findings(b.playbooks, incident, &gathered, b.now);
    let history = super::versions::store::summary(db, incident.id, &regime.id).await?;
    let kind = b.kind.unwrap_or(if history.count == 0 {
        VersionKind::Initial
    } else {
        VersionKind::FollowUp
    });
    let sample = forms::sample_residence(regime.form, &regime.id, b.playbooks).and_then(
        |(country, region)| {
            sample_notice(
                b.templates,
                b.playbooks,
                incident,
                &population,
                &country,
                region.as_deref(),
                b.now,
            )
        },
    );
    let facts = Facts {
        incident,
        playbooks: b.playbooks,
        population: &population,
        unreached: &unreached,
        findings: &findings,
        announced_at: gathered.announced_at,
        kind,
        first_submitted_at: history.first_submitted_at,
        sample_notice: sample,
        now: b.now,
    };
    Ok(forms::build(regime.form, &regime.id, &facts))
}

/// Renders a document in a format; PDF is set in `fonts`.
pub fn render(doc: &Document, format: Format, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    let internal = |e: anyhow::Error| ReportError::App(AppError::Internal(e));
    match format {
        Format::Json => super::render::json(doc).map_err(|e| internal(e.into())),
        Format::Csv => super::render::csv::render(doc).map_err(|e| internal(e.into())),
        Format::Html => Ok(super::render::html::render(doc).into_bytes()),
        Format::Pdf => super::pdf::render(doc, fonts).map_err(|e| internal(e.into())),
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
    sources: Sources<'_>,
    incident_id: i64,
    jurisdiction: &str,
    format: &str,
    actor: &Actor,
) -> Result<Generated, ReportError> {
    let Sources {
        playbooks,
        templates,
        fonts,
    } = sources;
    let regime = regime(playbooks, jurisdiction)?;
    let format = Format::parse(format)?;
    let incident = crate::incidents::find(db, incident_id)
        .await
        .map_err(AppError::from)?;
    let now = crate::audit::now();
    let build = Build {
        playbooks,
        templates,
        kind: None,
        now,
    };
    let doc = document(db, &build, &regime, &incident).await?;
    let bytes = render(&doc, format, fonts)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));

    let txn = db.begin().await?;
    let row = report::ActiveModel {
        incident_id: Set(incident.id),
        jurisdiction: Set(regime.id.clone()),
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
            "jurisdiction": regime.id,
            "format": format.as_str(),
            "sha256": sha256,
            "missing": doc.missing.len(),
        }),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        incident.id = incident.id,
        report.id = row.id,
        jurisdiction = %regime.id,
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
