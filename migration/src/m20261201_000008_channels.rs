//! Delivery on every channel: deliveries know their person (fallback and per-person counts),
//! their worker (leases renewed by a heartbeat) and provider statuses; push devices can be
//! dead; an incident's delivery can be paused or cancelled; each person's full notice has an
//! unguessable link code.
use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

crate::migration_name!("m20261201_000008_channels");

pub const DELIVERY_STATUSES: &[&str] = &[
    "pending",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "unreachable",
    "failed",
    "cancelled",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        m.alter_table(
            Table::alter()
                .table(Alias::new("deliveries"))
                .add_column(fk_id_null("subject_id"))
                .to_owned(),
        )
        .await?;
        add_text_null(m, "deliveries", "claimed_by").await?;
        db.execute_unprepared(
            "UPDATE deliveries SET subject_id = (SELECT n.subject_id FROM notices n WHERE n.id = deliveries.notice_id)",
        )
        .await?;
        m.create_index(index(
            "deliveries",
            "idx_deliveries_person",
            &["incident_id", "subject_id"],
        ))
        .await?;
        // Provider status callbacks find their delivery by the provider's message id.
        m.create_index(index(
            "deliveries",
            "idx_deliveries_provider_ref",
            &["provider_ref"],
        ))
        .await?;
        for sql in unchecked(backend, "deliveries", "status")
            .into_iter()
            .chain(checked(backend, "deliveries", "status", DELIVERY_STATUSES))
        {
            db.execute_unprepared(&sql).await?;
        }

        m.alter_table(
            Table::alter()
                .table(Alias::new("subject_devices"))
                .add_column(ts_null("dead_at"))
                .to_owned(),
        )
        .await?;
        add_text_null(m, "subject_devices", "dead_reason").await?;

        m.alter_table(
            Table::alter()
                .table(Alias::new("incidents"))
                .add_column(
                    ColumnDef::new(Alias::new("delivery_state"))
                        .text()
                        .not_null()
                        .default("running"),
                )
                .to_owned(),
        )
        .await?;
        for sql in checked(
            backend,
            "incidents",
            "delivery_state",
            &["running", "paused", "cancelled"],
        ) {
            db.execute_unprepared(&sql).await?;
        }

        m.create_table(
            table("notice_links")
                .col(id("id"))
                .col(fk_id("incident_id"))
                .col(fk_id("subject_id"))
                .col(text("code"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("notice_links", "incident_id", "incidents", true))
                .foreign_key(&mut fk("notice_links", "subject_id", "subjects", false))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("notice_links", "ux_notice_links_code", &["code"]))
            .await?;
        m.create_index(unique(
            "notice_links",
            "ux_notice_links_person",
            &["incident_id", "subject_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        m.drop_table(drop("notice_links")).await?;
        for sql in unchecked(backend, "incidents", "delivery_state") {
            db.execute_unprepared(&sql).await?;
        }
        drop_column(m, "incidents", "delivery_state").await?;
        drop_column(m, "subject_devices", "dead_reason").await?;
        drop_column(m, "subject_devices", "dead_at").await?;
        for sql in unchecked(backend, "deliveries", "status") {
            db.execute_unprepared(&sql).await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_deliveries_provider_ref")
                .table(Alias::new("deliveries"))
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_deliveries_person")
                .table(Alias::new("deliveries"))
                .to_owned(),
        )
        .await?;
        drop_column(m, "deliveries", "claimed_by").await?;
        drop_column(m, "deliveries", "subject_id").await
    }
}
