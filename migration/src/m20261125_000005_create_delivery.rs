//! Notices (one per person and channel, rendered) and deliveries (the outbox).
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261125_000005_create_delivery");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("notices")
                .col(id("id"))
                .col(fk_id("incident_id"))
                .col(fk_id("subject_id"))
                .col(text("channel"))
                .col(text("locale"))
                // The address at compose time; null when the person has none on this channel.
                .col(text_null("recipient"))
                .col(text("subject_line"))
                .col(text("body_text"))
                .col(text_null("body_html"))
                .col(int("content_version"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("notices", "incident_id", "incidents", true))
                .foreign_key(&mut fk("notices", "subject_id", "subjects", false))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "notices",
            "ux_notices_person_channel",
            &["incident_id", "subject_id", "channel"],
        ))
        .await?;
        m.create_table(
            table("deliveries")
                .col(id("id"))
                .col(fk_id("notice_id"))
                .col(fk_id("incident_id"))
                .col(text("channel"))
                // pending → sending → sent | pending (retry) | dead; unreachable when no address.
                .col(text("status"))
                .col(int("attempts"))
                .col(int("max_attempts"))
                .col(ts("next_attempt_at"))
                .col(ts_null("lease_until"))
                .col(text_null("last_error"))
                .col(text("message_id"))
                .col(text_null("provider_ref"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ts_null("sent_at"))
                .foreign_key(&mut fk("deliveries", "notice_id", "notices", true))
                .foreign_key(&mut fk("deliveries", "incident_id", "incidents", true))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("deliveries", "ux_deliveries_notice", &["notice_id"]))
            .await?;
        // The dispatcher's claim query.
        m.create_index(index(
            "deliveries",
            "idx_deliveries_due",
            &["status", "next_attempt_at"],
        ))
        .await?;
        // Per-incident delivery counts.
        m.create_index(index(
            "deliveries",
            "idx_deliveries_incident",
            &["incident_id", "channel", "status"],
        ))
        .await?;
        m.create_table(
            table("announcements")
                .col(id("id"))
                .col(fk_id("incident_id"))
                .col(text("slug"))
                .col(text("locale"))
                .col(text("title"))
                .col(text("body_text"))
                .col(text("body_html"))
                .col(ts("published_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("announcements", "incident_id", "incidents", true))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("announcements", "ux_announcements_slug", &["slug"]))
            .await?;
        m.create_index(unique(
            "announcements",
            "ux_announcements_incident_locale",
            &["incident_id", "locale"],
        ))
        .await?;
        m.create_index(index(
            "announcements",
            "idx_announcements_published",
            &["published_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["announcements", "deliveries", "notices"] {
            m.drop_table(drop(t)).await?;
        }
        Ok(())
    }
}
