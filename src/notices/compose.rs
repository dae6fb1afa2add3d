//! Composing: one rendered notice per affected person and channel, streamed in batches under
//! the incident's row lock, named by the digest of everything rendered.
use super::approval::{self, CompositionDigest};
use super::completeness::{self, PerPerson};
use super::content::NoticeContent;
use super::{links, render, store, NoticeError};
use crate::audit::Actor;
use crate::domain::Channel;
use crate::incidents::{self, Status};
use crate::links::Links;
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
    pub links: &'a Links,
    /// The most segments an SMS may take.
    pub sms_max_segments: usize,
    /// The public announcement's address, when one is published (notices link to it).
    pub announcement_url: Option<String>,
}

/// The channels composed for an incident: the full notice (e-mail) always, it is what
/// `/n/{code}` shows; the others the incident uses.
fn channels(incident: &[Channel]) -> Vec<Channel> {
    let mut out = vec![Channel::Email];
    out.extend(incident.iter().copied().filter(|c| *c != Channel::Email));
    out
}

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
    // Each person's variant: their jurisdictions' statements and prohibitions.
    let counts = population::PopulationFacts::load(&txn, incident_id)
        .await?
        .counts();
    let found = completeness::findings(input.playbooks, &inc, &counts, now);
    let mut per_person = PerPerson::new(input.playbooks, content, found);
    let mut digest = CompositionDigest::new(inc.id, inc.content_version, fingerprint);
    let channels = channels(&inc.channels);
    let verify_url = input.links.to("/verify");
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let people = population::store::people(&txn, incident_id, after, BATCH).await?;
        let Some(last) = people.last() else { break };
        after = last.position;
        let ids: Vec<i64> = people.iter().map(|p| p.subject_id).collect();
        let codes = links::codes(&txn, incident_id, &ids, now).await?;
        let devices = if channels.contains(&Channel::Push) {
            population::store::live_devices(&txn, &ids).await?
        } else {
            Default::default()
        };
        let mut notices = Vec::with_capacity(people.len() * channels.len());
        for p in &people {
            let code = codes.get(&p.subject_id).map(String::as_str);
            let link = code.map(|c| input.links.to(&format!("/n/{c}")));
            let content = per_person.content(p.country.as_deref(), p.region.as_deref());
            let ctx = render::Context {
                templates: input.templates,
                content,
                link: link.as_deref(),
                code,
                verify_url: &verify_url,
                sms_max_segments: input.sms_max_segments,
            };
            let person_devices = devices.get(&p.subject_id).map(Vec::as_slice).unwrap_or(&[]);
            for &channel in &channels {
                let Some(n) = ctx
                    .notice(p, person_devices, channel)
                    .map_err(NoticeError::Render)?
                else {
                    continue;
                };
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
