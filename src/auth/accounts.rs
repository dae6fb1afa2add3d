//! Console accounts with argon2id password hashes.
use crate::audit::{self, Actor, Target};
use crate::domain::Role;
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use entity::account;
use rand::distributions::{Alphanumeric, DistString};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::json;

pub struct NewAccount {
    pub account: account::Model,
    /// Shown once; only its hash is stored.
    pub one_time_password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("'{0}' is not an e-mail address")]
    BadEmail(String),
    #[error("an account with e-mail {0} already exists")]
    Exists(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

fn normalise_email(email: &str) -> Result<String, AccountError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(e)
    } else {
        Err(AccountError::BadEmail(email.trim().to_owned()))
    }
}

pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

pub async fn find_account_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<account::Model>, sea_orm::DbErr> {
    let e = email.trim().to_lowercase();
    account::Entity::find()
        .filter(account::Column::Email.eq(e))
        .one(db)
        .await
}

/// Creates an account with a random one-time password that must be changed at first login.
pub async fn create_account(
    db: &impl TransactionTrait,
    email: &str,
    role: Role,
    actor: &Actor,
) -> Result<NewAccount, AccountError> {
    let email = normalise_email(email)?;
    let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 20);
    let hash = hash_password(&password)?;
    let txn = db.begin().await?;
    if find_account_by_email(&txn, &email).await?.is_some() {
        return Err(AccountError::Exists(email));
    }
    let now = audit::now();
    let model = account::ActiveModel {
        email: Set(email.clone()),
        role: Set(role.as_str().into()),
        password_hash: Set(hash),
        must_change_password: Set(true),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "account.create",
        Target::new("account", model.id),
        json!({ "email": email, "role": role.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(NewAccount {
        account: model,
        one_time_password: password,
    })
}

/// On first start (no accounts at all), creates the `admin` account. Returns it with its
/// one-time password, or `None` when accounts exist.
pub async fn ensure_first_admin(
    db: &(impl TransactionTrait + ConnectionTrait),
    email: &str,
) -> Result<Option<NewAccount>, AccountError> {
    if account::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    create_account(db, email, Role::Admin, &Actor::System)
        .await
        .map(Some)
}
