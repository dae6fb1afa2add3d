use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub incident_id: i64,
    pub subject_id: i64,
    pub channel: String,
    pub locale: String,
    pub recipient: Option<String>,
    pub recipient_name: Option<String>,
    pub subject_line: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub content_version: i32,
    /// SHA-256 of `[subject_line, body_text, body_html]` as JSON (the ledger's content hash);
    /// null for notices composed before it was kept.
    pub content_sha256: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
