//! The approval state of an incident's notices changes here and nowhere else: a composition is
//! recorded (compose), approved (approve), withdrawn (withdraw) and sent (dispatch).
//!
//! A composition is named by its digest: SHA-256 over the incident, its content version, the
//! templates and every rendered notice (who, on which channel, what it says). An approver
//! approves one digest, the one they previewed; the approval holds only while that digest is
//! the current composition of the current content with the running templates, so anything
//! changed after they looked (content, clock start, population, templates) makes it lapse.
//! Every step runs under the incident's row lock and writes through `incidents::store`.
use super::store::Notice;
use super::NoticeError;
use crate::audit::Actor;
use crate::incidents::{self, store, Incident, Status};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Builds a composition's digest, notice by notice, in population order.
pub struct CompositionDigest(Sha256);

impl CompositionDigest {
    pub fn new(incident_id: i64, content_version: i32, templates: &str) -> CompositionDigest {
        let mut d = CompositionDigest(Sha256::new());
        d.field(b"tocsin-composition-v1");
        d.field(incident_id.to_string().as_bytes());
        d.field(content_version.to_string().as_bytes());
        d.field(templates.as_bytes());
        d
    }

    /// Each field with its length first, so no field can bleed into the next.
    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    fn opt(&mut self, v: Option<&str>) {
        match v {
            None => self.0.update([0]),
            Some(s) => {
                self.0.update([1]);
                self.field(s.as_bytes());
            }
        }
    }

    pub fn add(&mut self, n: &Notice) {
        self.field(n.subject_id.to_string().as_bytes());
        self.field(n.channel.as_str().as_bytes());
        self.field(n.locale.as_bytes());
        self.opt(n.recipient.as_deref());
        self.opt(n.recipient_name.as_deref());
        self.field(n.subject_line.as_bytes());
        self.field(n.body_text.as_bytes());
        self.opt(n.body_html.as_deref());
    }

    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// Why the current composition cannot be approved or sent as it stands, if it cannot.
fn staleness(inc: &Incident, templates: &str) -> Option<NoticeError> {
    let n = &inc.notices;
    if n.composition.is_none() {
        return Some(NoticeError::NotComposed);
    }
    if n.composed_version != inc.content_version {
        return Some(NoticeError::Stale(
            "the incident or its population changed after the notices were composed",
        ));
    }
    if n.composed_templates.as_deref() != Some(templates) {
        return Some(NoticeError::Stale(
            "the notice templates changed after the notices were composed",
        ));
    }
    None
}

/// The approved composition's digest, when the notices are approved as they stand; the
/// reason otherwise. Dispatch and the public announcement ask this.
pub fn require_approved<'a>(inc: &'a Incident, templates: &str) -> Result<&'a str, NoticeError> {
    if staleness(inc, templates).is_some() || !inc.is_approved() {
        return Err(NoticeError::NotApproved);
    }
    inc.notices
        .approved_composition
        .as_deref()
        .ok_or(NoticeError::NotApproved)
}

/// Whether the notices are approved as they stand (for views).
pub fn is_approved(inc: &Incident, templates: &str) -> bool {
    require_approved(inc, templates).is_ok()
}

/// Records a new composition of the (locked) incident; an approval of an earlier one lapses.
pub(super) async fn composed(
    txn: &impl ConnectionTrait,
    inc: &Incident,
    actor: &Actor,
    digest: &str,
    templates: &str,
    count: u64,
    now: DateTime<Utc>,
) -> Result<(), NoticeError> {
    store::approval::composed(
        txn,
        inc.id,
        actor.account_id(),
        inc.content_version,
        digest,
        templates,
        now,
    )
    .await?;
    store::record_event(
        txn,
        inc.id,
        actor,
        "notices_composed",
        json!({
            "count": count,
            "channels": inc.channels,
            "content_version": inc.content_version,
            "composition": digest,
        }),
    )
    .await?;
    Ok(())
}

/// Approves exactly `composition`: it must be the current composition, composed from the
/// current content with the running templates, by someone other than the approver. The notices
/// must also hold what each applicable jurisdiction requires (`completeness`): what is missing is
/// refused, listed, unless the approver accepts it (`accept_incomplete`), which the timeline
/// records with the list.
#[allow(clippy::too_many_arguments)]
pub async fn approve(
    db: &DatabaseConnection,
    templates: &str,
    playbooks: &crate::playbooks::Playbooks,
    actor: &Actor,
    incident_id: i64,
    composition: &str,
    accept_incomplete: bool,
    now: DateTime<Utc>,
) -> Result<Incident, NoticeError> {
    let composition = composition.trim();
    let txn = db.begin().await?;
    let inc = store::lock(&txn, incident_id).await?;
    if inc.status == Status::Closed {
        return Err(NoticeError::Closed);
    }
    if inc.notices.dispatched_at.is_some() {
        return Err(NoticeError::AlreadyDispatched);
    }
    if let Some(why) = staleness(&inc, templates) {
        return Err(why);
    }
    let current = inc.notices.composition.clone().unwrap_or_default();
    if composition.is_empty() {
        return Err(NoticeError::Invalid {
            field: "composition",
            reason: format!(
                "required: the digest of the composition you reviewed (compose and preview \
                 return it; the current one is {current})"
            ),
        });
    }
    if composition != current {
        return Err(NoticeError::CompositionMismatch {
            given: composition.chars().take(64).collect(),
            current,
        });
    }
    if inc.notices.composed_by.is_some() && inc.notices.composed_by == actor.account_id() {
        return Err(NoticeError::FourEyes);
    }
    if inc.is_approved() {
        return Err(NoticeError::AlreadyApproved);
    }
    let check = super::completeness::completeness(&txn, playbooks, &inc, now).await?;
    if !check.complete && !accept_incomplete {
        return Err(NoticeError::Incomplete(check.missing));
    }
    let by = actor.account_id();
    if !store::approval::approved(&txn, incident_id, by, inc.content_version, &current, now).await?
    {
        return Err(NoticeError::Stale("the notices changed while approving"));
    }
    let mut details = json!({ "content_version": inc.content_version, "composition": current });
    if !check.complete {
        details["accepted_incomplete"] = json!(check.missing);
    }
    store::record_event(&txn, incident_id, actor, "notices_approved", details).await?;
    let inc = store::find(&txn, incident_id).await?;
    txn.commit().await?;
    Ok(inc)
}

/// Takes back the approval of the notices (before they are sent).
pub async fn withdraw(
    db: &DatabaseConnection,
    actor: &Actor,
    incident_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Incident, NoticeError> {
    let txn = db.begin().await?;
    let inc = store::lock(&txn, incident_id).await?;
    if inc.notices.dispatched_at.is_some() {
        return Err(NoticeError::AlreadyDispatched);
    }
    if inc.notices.approved_composition.is_none() {
        return Err(NoticeError::NotApproved);
    }
    store::approval::withdrawn(&txn, incident_id, now).await?;
    store::record_event(
        &txn,
        incident_id,
        actor,
        "approval_withdrawn",
        json!({ "reason": reason, "composition": inc.notices.approved_composition }),
    )
    .await?;
    let inc = store::find(&txn, incident_id).await?;
    txn.commit().await?;
    Ok(inc)
}

/// Inside the transaction that opens a dispatch (it holds the incident's lock): marks the
/// notices dispatched and moves the incident to notifying (sending notices is notifying,
/// whatever stage the investigation is at). The `dispatched` event, with what was queued, is
/// the dispatch's to record when its outbox is written.
pub async fn dispatched(
    txn: &impl ConnectionTrait,
    inc: &Incident,
    approved: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), NoticeError> {
    let moves = inc.status.moves_on_dispatch();
    let since = inc.notices.dispatched_at.unwrap_or(now);
    if !store::approval::dispatched(txn, inc.id, approved, inc.status, moves, since, now).await? {
        return Err(NoticeError::NotApproved);
    }
    if moves {
        incidents::record_event(
            txn,
            inc.id,
            actor,
            "status_changed",
            json!({ "from": inc.status, "to": Status::Notifying }),
        )
        .await?;
    }
    Ok(())
}
