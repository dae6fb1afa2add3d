//! Composing: one rendered notice per affected person and channel, streamed in batches under
//! the incident's row lock, named by the digest of everything rendered.
use super::approval::{self, CompositionDigest};
use super::content::NoticeContent;
use super::{render, store, NoticeError};
use crate::audit::Actor;
use crate::domain::Channel;
use crate::incidents::{self, Status};
use crate::playbooks::Playbooks;
use crate::population;
use crate::templates::Templates;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Serialize;

const BATCH: i64 = 500;

/// What a composition produced.
#[derive(Debug, Clone, Serialize)]
pub struct Composed {
    /// Notices composed (one per person and channel).
    pub count: u64,
    /// The composition's digest: what an approver approves.
    pub composition: String,
}

/// The inputs of a composition besides the database.
pub struct ComposeInput<'a> {
    pub templates: &'a Templates,
    pub playbooks: &'a Playbooks,
    /// The public announcement's address, when one is published (notices link to it).
    pub announcement_url: Option<String>,
}

/// The channels notices are composed for so far.
const COMPOSED: &[Channel] = &[Channel::Email];

/// Composes the notices of everyone in the population, replacing earlier ones in place. Any
/// approval of an earlier composition lapses: a second person must approve this one.
pub async fn compose(
    db: &DatabaseConnection,
    input: ComposeInput<'_>,
    actor: &Actor,
    incident_id: i64,
    now: DateTime<Utc>,
) -> Result<Composed, NoticeError> {
    let txn = db.begin().await?;
    let inc = incidents::store::lock(&txn, incident_id).await?;
    if inc.notices.dispatched_at.is_some() {
        return Err(NoticeError::AlreadyDispatched);
    }
    if inc.status == Status::Closed {
        return Err(NoticeError::Closed);
    }
    let fingerprint = input.templates.fingerprint();
    let content = NoticeContent::build(&inc, input.playbooks, input.announcement_url);
    let mut digest = CompositionDigest::new(inc.id, inc.content_version, fingerprint);
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let people = population::store::people(&txn, incident_id, after, BATCH).await?;
        let Some(last) = people.last() else { break };
        after = last.position;
        let mut notices = Vec::with_capacity(people.len() * COMPOSED.len());
        for p in &people {
            for &channel in COMPOSED {
                let n = render::notice(input.templates, &content, p, channel)
                    .map_err(NoticeError::Render)?;
                digest.add(&n);
                notices.push(n);
            }
        }
        store::upsert(&txn, incident_id, inc.content_version, &notices, now).await?;
        count += notices.len() as u64;
    }
    if count == 0 {
        return Err(NoticeError::NoPopulation);
    }
    let composition = digest.finish();
    approval::composed(&txn, &inc, actor, &composition, fingerprint, count, now).await?;
    txn.commit().await?;
    Ok(Composed { count, composition })
}
