//! Dispatching: the approved notices go into the outbox in one transaction, under the
//! incident's row lock, before any channel sees them; then the dispatcher is woken.
use super::store;
use crate::audit::Actor;
use crate::incidents::{self, Status};
use crate::notices::{approval, NoticeError};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Notice(#[from] NoticeError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<incidents::IncidentError> for DispatchError {
    fn from(e: incidents::IncidentError) -> Self {
        DispatchError::Notice(e.into())
    }
}

/// Queues the approved notices. Dispatching again queues only what was not queued before.
/// Returns how many deliveries were queued.
pub async fn dispatch(
    db: &DatabaseConnection,
    templates: &str,
    max_attempts: i32,
    actor: &Actor,
    incident_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DispatchError> {
    let txn = db.begin().await?;
    let inc = incidents::store::lock(&txn, incident_id).await?;
    if inc.status == Status::Closed {
        return Err(NoticeError::Closed.into());
    }
    if inc.notices.composition.is_none() {
        return Err(NoticeError::NotComposed.into());
    }
    let approved = approval::require_approved(&inc, templates)?.to_owned();
    let queued = store::enqueue(&txn, incident_id, max_attempts, now).await?;
    approval::dispatched(&txn, &inc, &approved, actor, queued, now).await?;
    txn.commit().await?;
    Ok(queued)
}
