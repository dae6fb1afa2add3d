use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub severity: String,
    pub status: String,
    pub aware_at: DateTimeUtc,
    pub occurred_from: Option<DateTimeUtc>,
    pub occurred_to: Option<DateTimeUtc>,
    pub data_categories: String,
    pub systems: String,
    pub cause: String,
    pub measures_taken: String,
    pub mitigations: String,
    pub likely_consequences: String,
    pub contact: String,
    pub channels: String,
    pub content_version: i32,
    pub composed_at: Option<DateTimeUtc>,
    pub composed_by: Option<i64>,
    pub composed_version: i32,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<i64>,
    pub approved_version: i32,
    pub composition: Option<String>,
    pub approved_composition: Option<String>,
    pub composed_templates: Option<String>,
    pub dispatched_at: Option<DateTimeUtc>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub delivery_state: String,
    pub determined_at: Option<DateTimeUtc>,
    pub assessed_at: Option<DateTimeUtc>,
    pub materiality_determined_at: Option<DateTimeUtc>,
    pub handling_ended_at: Option<DateTimeUtc>,
    pub risk_assessment: Option<String>,
    /// Channels per person of the dispatch being written; NULL when none is.
    pub dispatching_at_once: Option<i32>,
    /// When that dispatch last committed a chunk.
    pub dispatching_touched: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
