use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "obligations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub incident_id: i64,
    pub jurisdiction: String,
    pub authority: String,
    pub audience: String,
    pub due_at: Option<DateTimeUtc>,
    pub status: String,
    pub reason: String,
    pub fulfilled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub key: String,
    pub authority_id: Option<String>,
    pub verification: String,
    pub unverified: bool,
    pub details: String,
    pub clock_started_at: Option<DateTimeUtc>,
    pub fulfilled_by: Option<i64>,
    pub fulfilled_how: Option<String>,
    pub keep_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
