//! Reading the audit log a page at a time, newest first, optionally filtered (the console's
//! `/audit`).
use crate::web::Page;
use entity::audit_log;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// What to show; blank parts filter nothing.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filter {
    /// Actions starting with this (`incident.`, `session.sign_in`).
    pub action: Option<String>,
    /// Actors whose label contains this (an e-mail, `cli`, `system`).
    pub actor: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A page of entries and the `before` of the next page.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &Filter,
    page: &Page,
) -> Result<(Vec<audit_log::Model>, Option<i64>), sea_orm::DbErr> {
    let mut q = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .limit(page.limit());
    if let Some(b) = page.before() {
        q = q.filter(audit_log::Column::Seq.lt(b));
    }
    if let Some(a) = given(&filter.action) {
        q = q.filter(audit_log::Column::Action.starts_with(a));
    }
    if let Some(a) = given(&filter.actor) {
        q = q.filter(audit_log::Column::Actor.contains(a));
    }
    if let Some(t) = given(&filter.target_type) {
        q = q.filter(audit_log::Column::TargetType.eq(t));
    }
    if let Some(t) = given(&filter.target_id) {
        q = q.filter(audit_log::Column::TargetId.eq(t));
    }
    let rows = q.all(db).await?;
    let next = page.next_before(&rows, |r| r.seq);
    Ok((rows, next))
}
