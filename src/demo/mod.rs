//! The demo data set `tocsin serve --demo` loads, so a newcomer sees a populated system at once.
//!
//! About 3,000 synthetic buyers of a B2B sourcing marketplace (see PLATFORM.md): many countries,
//! each with its own languages and, where breach law is per subdivision, its regions; uneven
//! contact data; company attributes; data categories from the inventory; and a handful of hostile
//! or awkward names that must survive verbatim and be shown escaped. They go through the real
//! importer (as CSV), then one example incident of kind `chat-translation-leak` is opened and its
//! affected population scoped: every buyer whose chat records the incident reached.
//!
//! The buyers are generated from a fixed seed, so every load gives the same people. Loading is
//! done once: a `demo.loaded` audit entry marks it, and a later load changes nothing. A load that
//! stopped half-way picks up where it stopped.
//!
//! What the buyers are drawn from — countries, languages, names, phone plans, companies, profile
//! attributes — is data, in `data/*.yaml` (see [`data`]); [`generate`] draws from it.
use crate::app::AppState;
use crate::audit::{self, Actor, Target};
use crate::db::stmt;
use crate::incidents::{Content, NewIncident};
use crate::playbooks::Playbooks;
use crate::population::{import_subjects, set_population, Format, ImportTarget, PopulationRequest};
use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

mod contacts;
mod data;
#[cfg(test)]
mod data_tests;
mod generate;
#[cfg(test)]
mod tests;
mod values;

pub use generate::{generate, to_csv, Buyer};

/// How many buyers the demo holds (`demo-00001` … `demo-03000`).
pub const BUYERS: usize = 3000;
/// The seed of the generator: the same buyers on every load.
pub const SEED: u64 = 0x7_0C51_2026;
/// The kind (playbook) of the example incident.
pub const INCIDENT_KIND: &str = "chat-translation-leak";
/// The title of the example incident (with the kind, how a half-finished load finds it again).
pub const INCIDENT_TITLE: &str = "Chat records exposed by our IM chat-translation processor";
/// The audit action that records a finished load.
pub const LOADED_ACTION: &str = "demo.loaded";
/// The inventory category whose holders the example incident reaches.
const AFFECTED_CATEGORY: &str = "chat_records";

/// Hostile or awkward names, each carried by a fixed demo buyer (see [`awkward_buyers`]). They
/// must be stored verbatim and shown escaped wherever they appear.
pub const AWKWARD_NAMES: &[&str] = &[
    "<script>alert('xss')</script>",
    "Robert'); DROP TABLE subjects;--",
    "{{content.organisation}}",
    "\"><img src=x onerror=alert(1)>",
    // A right-to-left override: shows as "Mallory exe.txt" in naive displays.
    "Mallory \u{202E}txt.exe",
    "=HYPERLINK(\"https://example.com/x\",\"Click me\")",
    "O'Brien",
    "Zoë Ångström",
    "山田 太郎",
    "Nguyễn Văn A",
    "🦀 Ferris Crabbington 🚀",
    "👩\u{200D}💻 Ada 'Byte' Lovelace",
    "Dr. José \"Pepe\" García-Márquez, Jr.",
    "Null",
    // 200 characters, the longest name the registry accepts.
    "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff Sr. of Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegeundsorgfaltigkeitbeschutzenvorangreifen",
    "Maria del Carmen Fernández de Córdoba y Figueroa de la Cerda Osorio de Moscoso Pérez de Guzmán y Álvarez de Toledo",
];

/// The external id of the buyer carrying `AWKWARD_NAMES[k]`: spread through the registry.
fn awkward_index(k: usize) -> usize {
    2 + k * 181
}

/// `(external_id, name)` of every buyer with an awkward name.
pub fn awkward_buyers() -> Vec<(String, &'static str)> {
    AWKWARD_NAMES
        .iter()
        .enumerate()
        .map(|(k, n)| (external_id(awkward_index(k)), *n))
        .collect()
}

/// The company of the second awkward buyer: quotes, commas, markup and a formula.
pub const AWKWARD_COMPANY: &str = "Tables & Sons \"Wholesale\", Ltd. <b>=1+1</b>";

fn external_id(i: usize) -> String {
    format!("demo-{i:05}")
}

/// What a load did (or found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Demo buyers in the registry.
    pub subjects: u64,
    /// The example incident.
    pub incident_id: i64,
    /// People in its population.
    pub population: i64,
    /// True when an earlier load had finished: nothing was changed.
    pub already_loaded: bool,
    /// Lines the importer rejected (0 unless the generator and the importer disagree).
    pub rejected: u64,
}

/// Loads the demo data set unless it was loaded before. See the module documentation.
pub async fn load(state: &AppState) -> anyhow::Result<DemoSummary> {
    let db = &state.db;
    if let Some(incident_id) = loaded_marker(db).await? {
        return Ok(DemoSummary {
            subjects: count_demo_subjects(db).await?,
            incident_id,
            population: count_population(db, incident_id).await?,
            already_loaded: true,
            rejected: 0,
        });
    }
    let buyers = generate();

    // 1. The buyers, through the real importer. Skipped when an earlier, unfinished load got
    //    this far (and so that edits made to demo buyers since are kept).
    let mut rejected = 0;
    if !subject_exists(db, &external_id(1)).await? {
        let report = import_subjects(
            &ImportTarget::Database(db.clone()),
            std::io::Cursor::new(to_csv(&buyers)?),
            Format::Csv,
            Arc::new(state.playbooks.own_categories()),
            &Actor::System,
            Arc::new(AtomicU64::new(0)),
            |_| {},
        )
        .await
        .context("importing the demo buyers")?;
        for r in &report.rejected {
            tracing::warn!(line = r.line, reason = %r.reason, "demo buyer rejected by the importer");
        }
        rejected = report.rejected_count;
    }

    // 2. The example incident (found again if an unfinished load created it).
    let incident_id = match find_demo_incident(db).await? {
        Some(id) => id,
        None => {
            let new = example_incident(&state.playbooks, state.clock.now())?;
            crate::incidents::create(db, &Actor::System, new, state.clock.now())
                .await
                .context("creating the demo incident")?
                .id
        }
    };

    // 3. Its affected population: everyone whose chat records the processor received.
    let affected: Vec<String> = buyers
        .iter()
        .filter(|b| b.categories.contains(&AFFECTED_CATEGORY))
        .map(|b| b.external_id.clone())
        .collect();
    let summary = set_population(
        db,
        &Actor::System,
        incident_id,
        PopulationRequest {
            external_ids: Some(affected),
            selector: None,
            reason: Some(
                "Chat records of this buyer were sent to the IM chat-translation processor \
                 during the exposure window (demo data)"
                    .into(),
            ),
        },
        false,
        state.clock.now(),
    )
    .await
    .context("scoping the demo incident's population")?;

    // 4. Mark the load as finished.
    let subjects = count_demo_subjects(db).await?;
    let txn = db.begin().await?;
    audit::record(
        &txn,
        &Actor::System,
        LOADED_ACTION,
        Target::new("incident", incident_id),
        json!({ "subjects": subjects, "population": summary.count, "rejected": rejected, "seed": SEED }),
    )
    .await?;
    txn.commit().await?;

    Ok(DemoSummary {
        subjects,
        incident_id,
        population: summary.count,
        already_loaded: false,
        rejected,
    })
}

/// The example incident: a chat-translation processor's leak, discovered three hours ago.
fn example_incident(playbooks: &Playbooks, now: DateTime<Utc>) -> anyhow::Result<NewIncident> {
    let kind = playbooks
        .kinds
        .get(INCIDENT_KIND)
        .with_context(|| format!("the playbooks have no kind '{INCIDENT_KIND}'"))?;
    let now = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    let aware_at = now - Duration::hours(3);
    let occurred_from = now - Duration::days(6) - Duration::hours(7);
    let occurred_to = now - Duration::days(2) - Duration::hours(2);
    let day = |t: DateTime<Utc>| t.format("%-d %B %Y").to_string();
    let summary = format!(
        "Our machine-translation processor for instant-messaging chat told us on {aware} that a \
         storage bucket holding chat messages sent to it for translation could be read from the \
         internet without authentication between {from} and {to}. The messages are chats between \
         buyers and suppliers: they may include names, company details, order details, contact \
         details and the names of shared files. The processor found access from addresses it \
         cannot account for; we have no evidence so far that the messages were misused. \
         (This incident is demo data.)",
        aware = day(aware_at),
        from = day(occurred_from),
        to = day(occurred_to),
    );
    let mut content = Content::from_kind(kind, playbooks, INCIDENT_TITLE, &summary);
    content.occurred_from = Some(occurred_from);
    content.occurred_to = Some(occurred_to);
    content.systems = vec!["instant_messaging".into()];
    content.cause = "A storage bucket at the IM chat-translation processor, holding cached \
         translation requests, was made publicly readable by a configuration change on the \
         processor's side."
        .into();
    Ok(NewIncident {
        kind: kind.id.clone(),
        severity: kind.severity,
        aware_at,
        content,
        facts: Default::default(),
    })
}

// ---- Queries -------------------------------------------------------------------------------

async fn loaded_marker(db: &impl ConnectionTrait) -> anyhow::Result<Option<i64>> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT target_id FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
            [LOADED_ACTION.into()],
        ))
        .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let id: String = r.try_get("", "target_id")?;
            Ok(Some(id.parse().with_context(|| {
                format!("the {LOADED_ACTION} audit entry names incident '{id}'")
            })?))
        }
    }
}

async fn find_demo_incident(db: &impl ConnectionTrait) -> anyhow::Result<Option<i64>> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT id FROM incidents WHERE kind = ? AND title = ? AND created_by IS NULL \
             ORDER BY id LIMIT 1",
            [INCIDENT_KIND.into(), INCIDENT_TITLE.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "id")).transpose()?)
}

async fn subject_exists(db: &impl ConnectionTrait, external_id: &str) -> anyhow::Result<bool> {
    let sql = "SELECT COUNT(*) AS n FROM subjects WHERE external_id = ?";
    Ok(count(db, sql, vec![external_id.into()]).await? > 0)
}

async fn count_demo_subjects(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    let sql = "SELECT COUNT(*) AS n FROM subjects WHERE external_id LIKE 'demo-%'";
    Ok(count(db, sql, vec![]).await?.max(0) as u64)
}

async fn count_population(db: &impl ConnectionTrait, incident_id: i64) -> anyhow::Result<i64> {
    let sql = "SELECT COUNT(*) AS n FROM incident_population WHERE incident_id = ?";
    count(db, sql, vec![incident_id.into()]).await
}

/// Runs a `SELECT COUNT(*) AS n …`.
async fn count(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> anyhow::Result<i64> {
    let row = db
        .query_one(stmt(db.get_database_backend(), sql, values))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    })
}
