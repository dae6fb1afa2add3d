use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: DateTimeUtc,
    pub incident_id: i64,
    pub delivery_id: i64,
    pub subject_id: i64,
    pub channel: String,
    pub event: String,
    pub status: String,
    pub next_channel: Option<String>,
    pub content_sha256: Option<String>,
    pub templates: Option<String>,
    pub provider_ref: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
