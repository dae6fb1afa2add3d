//! Jurisdiction rules, obligations, deadlines and regulator reports.
//!
//! A report is made in three steps: `report::document` gathers the facts (the incident, its
//! population counted in SQL, who was not reached, the obligations the rules give now, the
//! sample notice); a builder of `forms` turns them into the regime's [`document::Document`],
//! every field of its form in order and every one it cannot fill named in `missing`; `render`
//! (JSON, CSV, HTML) turns the document into bytes and `report::generate` records their
//! SHA-256. `versions` keeps the initial, follow-up and final reports with their submission.
//! A new form is a builder in `forms` plus an entry in `Form::DEDICATED`; any other regime of
//! the rules gets the generic report; a new format is a branch of `report::render` plus an
//! entry in `Format::AVAILABLE`.
mod api;
pub mod console;
pub mod document;
pub mod forms;
pub mod gdpr;
pub mod obligations;
pub mod pdf;
pub mod render;
pub mod report;
pub mod versions;

pub use api::routes;
pub use report::{generate, Format, Generated, Regime, ReportError};

/// The incident's next open deadline from the obligations engine (recomputed in `txn`, which
/// must hold the incident's row lock or be rolled back): the earliest due or overdue
/// obligation with a due time, and a line naming it ("EU-GDPR: authority — …").
pub async fn next_deadline(
    txn: &impl sea_orm::ConnectionTrait,
    playbooks: &crate::playbooks::Playbooks,
    incident: &crate::incidents::Incident,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(chrono::DateTime<chrono::Utc>, String)>, obligations::ObligationError> {
    obligations::refresh::refresh_in(txn, playbooks, incident, now).await?;
    let mut open: Vec<_> = obligations::store::list(txn, incident.id)
        .await?
        .into_iter()
        .filter(|o| {
            o.due_at.is_some()
                && matches!(
                    o.status,
                    obligations::Status::Due | obligations::Status::Overdue
                )
        })
        .collect();
    obligations::Obligation::sort(&mut open);
    Ok(open.into_iter().next().map(|o| {
        let who = o.authority.clone().unwrap_or_else(|| o.audience.clone());
        let mark = if o.unverified {
            " (unverified rule)"
        } else {
            ""
        };
        (
            o.due_at.expect("filtered on due_at"),
            format!("{}: notify {who}{mark}", o.jurisdiction),
        )
    }))
}
