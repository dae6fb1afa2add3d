//! Jurisdiction rules, obligations, deadlines and regulator reports.
//!
//! A report is made in three steps: `population::facts` counts what the database knows about the affected
//! population (in SQL, never row by row); a regime module (`gdpr`) turns the incident, the
//! playbooks and those facts into that regime's typed report, naming every required item it
//! cannot fill; `report` renders it in the requested format and records the exact bytes'
//! SHA-256. A new regime is a module with its report type plus a `Regime` variant; a new format
//! is a branch of `Report::render` plus an entry in `Format::AVAILABLE`.
mod api;
pub mod console;
pub mod document;
pub mod gdpr;
pub mod obligations;
pub mod pdf;
pub mod report;

pub use api::routes;
pub use report::{generate, Format, Generated, Regime, Report, ReportError};

/// The earliest regulatory deadline Tocsin knows for an incident and its population, and the
/// rule that sets it: so far GDPR Art. 33's 72 hours when anyone affected lives in the EEA.
pub fn earliest_deadline(
    incident: &crate::incidents::Incident,
    population: &crate::population::PopulationFacts,
) -> Option<(chrono::DateTime<chrono::Utc>, &'static str)> {
    population
        .by_country
        .keys()
        .any(|c| gdpr::in_eea(c))
        .then(|| {
            (
                incident.aware_at + chrono::Duration::hours(gdpr::DEADLINE_HOURS),
                "EU-GDPR Art. 33 (72 hours)",
            )
        })
}

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
