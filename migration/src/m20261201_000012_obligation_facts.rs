//! What the jurisdiction rules need beyond the incident's awareness time, and obligations that
//! can be tracked and reminded of:
//! - incidents: the other clock starts the rules count from (when the breach was determined,
//!   assessed notifiable, determined material, when its handling ended) and the risk
//!   assessment (`unlikely`, `risk`, `high_risk`);
//! - obligations: one row per obligation key (`REGIME/obligation[/…]`), with the authority's
//!   id, the verification tag, why it applies (JSON), when its clock started, and who fulfilled
//!   it, when and how;
//! - obligation_reminders: each reminder e-mail to a responder, written before it is sent and
//!   sent once.
use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

crate::migration_name!("m20261201_000012_obligation_facts");

pub const RISK_LEVELS: &[&str] = &["unlikely", "risk", "high_risk"];
pub const OBLIGATION_STATUSES: &[&str] = &[
    "due",
    "overdue",
    "done",
    "not_required",
    "waiting",
    "ongoing",
];

const INCIDENT_INSTANTS: &[&str] = &[
    "determined_at",
    "assessed_at",
    "materiality_determined_at",
    "handling_ended_at",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        for c in INCIDENT_INSTANTS {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("incidents"))
                    .add_column(ts_null(c))
                    .to_owned(),
            )
            .await?;
        }
        add_text_null(m, "incidents", "risk_assessment").await?;
        for sql in checked(backend, "incidents", "risk_assessment", RISK_LEVELS) {
            db.execute_unprepared(&sql).await?;
        }

        let add = |c: ColumnDef| {
            Table::alter()
                .table(Alias::new("obligations"))
                .add_column(c)
                .to_owned()
        };
        m.alter_table(add(ColumnDef::new(Alias::new("key"))
            .text()
            .not_null()
            .default("")
            .to_owned()))
            .await?;
        for c in [
            text_null("authority_id"),
            ColumnDef::new(Alias::new("verification"))
                .text()
                .not_null()
                .default("U")
                .to_owned(),
            flag("unverified"),
            json("details"),
            ts_null("clock_started_at"),
            fk_id_null("fulfilled_by"),
            text_null("fulfilled_how"),
            ts_null("keep_until"),
        ] {
            m.alter_table(add(c)).await?;
        }
        db.execute_unprepared(
            "UPDATE obligations SET \"key\" = jurisdiction || '/' || audience WHERE \"key\" = ''",
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ux_obligations")
                .table(Alias::new("obligations"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "obligations",
            "ux_obligations_key",
            &["incident_id", "key"],
        ))
        .await?;
        for sql in checked(backend, "obligations", "status", OBLIGATION_STATUSES) {
            db.execute_unprepared(&sql).await?;
        }

        m.create_table(
            table("obligation_reminders")
                .col(id("id"))
                .col(fk_id("obligation_id"))
                .col(fk_id("account_id"))
                // `before` (offset_minutes before the due time) or `missed`.
                .col(text("kind"))
                .col(int("offset_minutes"))
                // The due time the reminder is about: a new due time is reminded of again.
                .col(ts("due_at"))
                .col(ts("created_at"))
                .col(ts_null("claimed_until"))
                .col(ts_null("sent_at"))
                .col(int("attempts"))
                .col(text_null("last_error"))
                .foreign_key(&mut fk(
                    "obligation_reminders",
                    "obligation_id",
                    "obligations",
                    true,
                ))
                .foreign_key(&mut fk(
                    "obligation_reminders",
                    "account_id",
                    "accounts",
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "obligation_reminders",
            "ux_obligation_reminders",
            &[
                "obligation_id",
                "account_id",
                "kind",
                "offset_minutes",
                "due_at",
            ],
        ))
        .await?;
        m.create_index(index(
            "obligation_reminders",
            "idx_obligation_reminders_unsent",
            &["sent_at", "claimed_until"],
        ))
        .await?;
        for sql in checked(
            backend,
            "obligation_reminders",
            "kind",
            &["before", "missed"],
        ) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        m.drop_table(drop("obligation_reminders")).await?;
        for sql in unchecked(backend, "obligations", "status") {
            db.execute_unprepared(&sql).await?;
        }
        m.drop_index(
            Index::drop()
                .name("ux_obligations_key")
                .table(Alias::new("obligations"))
                .to_owned(),
        )
        .await?;
        // Rows the old key cannot hold apart would break the old index: keep one per triple.
        db.execute_unprepared(
            "DELETE FROM obligations WHERE id NOT IN (SELECT MIN(id) FROM obligations \
             GROUP BY incident_id, jurisdiction, audience)",
        )
        .await?;
        m.create_index(unique(
            "obligations",
            "ux_obligations",
            &["incident_id", "jurisdiction", "audience"],
        ))
        .await?;
        for c in [
            "keep_until",
            "fulfilled_how",
            "fulfilled_by",
            "clock_started_at",
            "details",
            "unverified",
            "verification",
            "authority_id",
            "key",
        ] {
            drop_column(m, "obligations", c).await?;
        }
        for sql in unchecked(backend, "incidents", "risk_assessment") {
            db.execute_unprepared(&sql).await?;
        }
        drop_column(m, "incidents", "risk_assessment").await?;
        for c in INCIDENT_INSTANTS.iter().rev() {
            drop_column(m, "incidents", c).await?;
        }
        Ok(())
    }
}
