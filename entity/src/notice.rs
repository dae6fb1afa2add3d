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
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
