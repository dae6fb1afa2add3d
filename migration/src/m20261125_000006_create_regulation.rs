//! Obligations (who must be told, by when) and the reports generated for regulators.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261125_000006_create_regulation");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("obligations")
                .col(id("id"))
                .col(fk_id("incident_id"))
                .col(text("jurisdiction"))
                .col(text("authority"))
                .col(text("audience"))
                .col(ts_null("due_at"))
                .col(text("status"))
                .col(text("reason"))
                .col(ts_null("fulfilled_at"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("obligations", "incident_id", "incidents", true))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "obligations",
            "ux_obligations",
            &["incident_id", "jurisdiction", "audience"],
        ))
        .await?;
        m.create_index(index(
            "obligations",
            "idx_obligations_due",
            &["status", "due_at"],
        ))
        .await?;
        m.create_table(
            table("reports")
                .col(id("id"))
                .col(fk_id("incident_id"))
                .col(text("jurisdiction"))
                .col(text("format"))
                .col(text("content_sha256"))
                .col(fk_id_null("generated_by"))
                .col(ts("generated_at"))
                .col(ts_null("submitted_at"))
                .foreign_key(&mut fk("reports", "incident_id", "incidents", true))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "reports",
            "idx_reports_incident",
            &["incident_id", "jurisdiction"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(drop("reports")).await?;
        m.drop_table(drop("obligations")).await
    }
}
