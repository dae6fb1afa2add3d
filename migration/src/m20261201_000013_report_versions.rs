//! Versions of a regulator report: the initial, follow-up and final reports of one regime for
//! one incident, each kept as the exact document it was (JSON, with its SHA-256), who saved it
//! and when, and — once — when, how and by whom it was submitted to the authority.
use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

crate::migration_name!("m20261201_000013_report_versions");

pub const KINDS: &[&str] = &["initial", "follow_up", "final"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("report_versions")
                .col(id("id"))
                .col(fk_id("incident_id"))
                // REGULATIONS.md's id, as Tocsin spells it (`EU-GDPR`).
                .col(text("regime"))
                .col(int("version"))
                .col(text("kind"))
                // The document as saved (JSON): a stored version renders from it alone.
                .col(text("document"))
                .col(text("sha256"))
                .col(fk_id_null("created_by"))
                .col(ts("created_at"))
                .col(ts_null("submitted_at"))
                .col(fk_id_null("submitted_by"))
                .col(text_null("submitted_how"))
                .col(ts_null("submission_recorded_at"))
                .foreign_key(&mut fk("report_versions", "incident_id", "incidents", true))
                .foreign_key(&mut fk("report_versions", "created_by", "accounts", false))
                .foreign_key(&mut fk(
                    "report_versions",
                    "submitted_by",
                    "accounts",
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "report_versions",
            "ux_report_versions",
            &["incident_id", "regime", "version"],
        ))
        .await?;
        let db = m.get_connection();
        for sql in checked(m.get_database_backend(), "report_versions", "kind", KINDS) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(drop("report_versions")).await
    }
}
