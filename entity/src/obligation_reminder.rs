use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "obligation_reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub obligation_id: i64,
    pub account_id: i64,
    pub kind: String,
    pub offset_minutes: i32,
    pub due_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub claimed_until: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
