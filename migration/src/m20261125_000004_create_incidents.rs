//! Incidents, their timeline, and the affected population snapshot.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261125_000004_create_incidents");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("incidents")
                .col(id("id"))
                .col(text("title"))
                .col(text("summary"))
                .col(text("kind"))
                .col(text("severity"))
                .col(text("status"))
                .col(ts("aware_at"))
                .col(ts_null("occurred_from"))
                .col(ts_null("occurred_to"))
                .col(json_list("data_categories"))
                .col(json_list("systems"))
                .col(text("cause"))
                .col(text("measures_taken"))
                .col(json_list("mitigations"))
                .col(text("likely_consequences"))
                .col(text("contact"))
                .col(json_list("channels"))
                // Notice content: bumped on every content change; approval binds to one version.
                .col(int("content_version"))
                .col(ts_null("composed_at"))
                .col(fk_id_null("composed_by"))
                .col(int("composed_version"))
                .col(ts_null("approved_at"))
                .col(fk_id_null("approved_by"))
                .col(int("approved_version"))
                .col(ts_null("dispatched_at"))
                .col(fk_id_null("created_by"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("incidents", "idx_incidents_status", &["status"]))
            .await?;
        m.create_table(
            table("incident_events")
                .col(id("id"))
                .col(fk_id("incident_id"))
                .col(ts("at"))
                .col(text("actor"))
                .col(text("kind"))
                .col(json("details"))
                .foreign_key(&mut fk("incident_events", "incident_id", "incidents", true))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "incident_events",
            "idx_incident_events",
            &["incident_id", "at"],
        ))
        .await?;
        // The affected population: who, why, and their jurisdiction and reachability at the
        // moment of scoping, so the evidence survives later edits of the registry.
        m.create_table(
            table("incident_population")
                .col(id("id"))
                .col(fk_id("incident_id"))
                .col(fk_id("subject_id"))
                .col(text("external_id"))
                .col(text_null("country"))
                .col(text_null("region"))
                .col(flag("has_email"))
                .col(flag("has_phone"))
                .col(flag("has_push"))
                .col(text("reason"))
                .col(ts("added_at"))
                .foreign_key(&mut fk(
                    "incident_population",
                    "incident_id",
                    "incidents",
                    true,
                ))
                .foreign_key(&mut fk(
                    "incident_population",
                    "subject_id",
                    "subjects",
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "incident_population",
            "ux_incident_population",
            &["incident_id", "subject_id"],
        ))
        .await?;
        m.create_index(index(
            "incident_population",
            "idx_incident_population_jurisdiction",
            &["incident_id", "country", "region"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["incident_population", "incident_events", "incidents"] {
            m.drop_table(drop(t)).await?;
        }
        Ok(())
    }
}
