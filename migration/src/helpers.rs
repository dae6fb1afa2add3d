//! Column shorthands shared by the migrations, so every table spells types the same way.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

/// 64-bit auto-increment primary key (INTEGER PRIMARY KEY on SQLite, BIGSERIAL on PostgreSQL).
pub fn id(name: &str) -> ColumnDef {
    col(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

pub fn fk_id(name: &str) -> ColumnDef {
    col(name).big_integer().not_null().to_owned()
}

pub fn fk_id_null(name: &str) -> ColumnDef {
    col(name).big_integer().null().to_owned()
}

pub fn text(name: &str) -> ColumnDef {
    col(name).text().not_null().to_owned()
}

pub fn text_null(name: &str) -> ColumnDef {
    col(name).text().null().to_owned()
}

pub fn int(name: &str) -> ColumnDef {
    col(name).integer().not_null().default(0).to_owned()
}

pub fn big(name: &str) -> ColumnDef {
    col(name).big_integer().not_null().default(0).to_owned()
}

pub fn flag(name: &str) -> ColumnDef {
    col(name).boolean().not_null().default(false).to_owned()
}

/// An instant, always UTC.
pub fn ts(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().not_null().to_owned()
}

pub fn ts_null(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().null().to_owned()
}

/// A JSON object kept as text: portable across both databases, never queried inside SQL.
pub fn json(name: &str) -> ColumnDef {
    col(name).text().not_null().default("{}").to_owned()
}

/// A JSON array kept as text.
pub fn json_list(name: &str) -> ColumnDef {
    col(name).text().not_null().default("[]").to_owned()
}

pub fn table(name: &str) -> TableCreateStatement {
    Table::create().table(Alias::new(name)).to_owned()
}

pub fn drop(name: &str) -> TableDropStatement {
    Table::drop().table(Alias::new(name)).to_owned()
}

pub fn index(table: &str, name: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(Alias::new(table));
    for c in cols {
        idx.col(Alias::new(*c));
    }
    idx.to_owned()
}

pub fn unique(table: &str, name: &str, cols: &[&str]) -> IndexCreateStatement {
    index(table, name, cols).unique().to_owned()
}

/// A foreign key `from.col → to.id`; `cascade` deletes children with their parent.
pub fn fk(from: &str, col: &str, to: &str, cascade: bool) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create();
    f.from(Alias::new(from), Alias::new(col))
        .to(Alias::new(to), Alias::new("id"));
    if cascade {
        f.on_delete(ForeignKeyAction::Cascade);
    }
    f.to_owned()
}

/// Declares a migration struct with its name.
#[macro_export]
macro_rules! migration_name {
    ($name:literal) => {
        pub struct Migration;
        impl MigrationName for Migration {
            fn name(&self) -> &str {
                $name
            }
        }
    };
}

/// The SQL that makes `table.column` accept only `values`: a CHECK constraint on PostgreSQL,
/// triggers on SQLite (which cannot add a constraint to an existing table). Named
/// `ck_<table>_<column>` either way, so a later migration can replace it with [`unchecked`].
pub fn checked(backend: DbBackend, table: &str, column: &str, values: &[&str]) -> Vec<String> {
    let list = values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    let name = format!("ck_{table}_{column}");
    match backend {
        DbBackend::Postgres => vec![format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({list}))"
        )],
        _ => ["INSERT", &format!("UPDATE OF {column}")]
            .iter()
            .zip(["ins", "upd"])
            .map(|(event, suffix)| {
                format!(
                    "CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table} \
                     WHEN NEW.{column} NOT IN ({list}) \
                     BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                )
            })
            .collect(),
    }
}

/// Undoes [`checked`].
pub fn unchecked(backend: DbBackend, table: &str, column: &str) -> Vec<String> {
    let name = format!("ck_{table}_{column}");
    match backend {
        DbBackend::Postgres => vec![format!(
            "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
        )],
        _ => vec![
            format!("DROP TRIGGER IF EXISTS {name}_ins"),
            format!("DROP TRIGGER IF EXISTS {name}_upd"),
        ],
    }
}

/// Adds a nullable text column.
pub async fn add_text_null(m: &SchemaManager<'_>, table: &str, column: &str) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new(table))
            .add_column(text_null(column))
            .to_owned(),
    )
    .await
}

/// Drops a column.
pub async fn drop_column(m: &SchemaManager<'_>, table: &str, column: &str) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new(table))
            .drop_column(Alias::new(column))
            .to_owned(),
    )
    .await
}
