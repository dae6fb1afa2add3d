//! Console accounts with argon2id password hashes.
use crate::audit::{self, Actor, Target};
use crate::domain::Role;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use entity::{account, api_token};
use rand::distributions::{Alphanumeric, DistString};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
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
    /// 404
    #[error("no such account")]
    NotFound,
    /// 409: the last admin who can sign in stays.
    #[error("this is the last enabled admin account: add another admin first")]
    LastAdmin,
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

/// The shortest and longest new password accepted.
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 1024;

/// Whether `password` matches the stored argon2 hash.
fn verifies(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to check against when no account matches, so that an unknown e-mail takes as long
/// to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// The account that `email` and `password` sign in, if any: it exists, is not disabled and the
/// password matches. Every refusal looks the same to the caller, and takes as long.
pub async fn check_password(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<Option<account::Model>, sea_orm::DbErr> {
    let found = find_account_by_email(db, email).await?;
    let hash = found
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |a| a.password_hash.clone());
    let password = password.to_owned();
    // Argon2 takes tens of milliseconds: off the async threads.
    let ok = tokio::task::spawn_blocking(move || verifies(&hash, &password))
        .await
        .unwrap_or(false);
    Ok(found.filter(|a| ok && !a.disabled))
}

/// Why a new password was refused (the messages are shown to the person choosing it).
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the current password is not right")]
    WrongCurrent,
    #[error("the new password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")]
    Length,
    #[error("the new password must differ from the current one")]
    Unchanged,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<sea_orm::DbErr> for PasswordError {
    fn from(e: sea_orm::DbErr) -> Self {
        PasswordError::Account(e.into())
    }
}

/// Replaces an account's password (after checking the current one), clears the one-time flag
/// and ends the account's other sessions (`keep` is the session making the change).
pub async fn change_password(
    db: &impl TransactionTrait,
    account: &account::Model,
    current: &str,
    new: &str,
    confirm: &str,
    keep: Option<i64>,
    actor: &Actor,
) -> Result<(), PasswordError> {
    if !verifies(&account.password_hash, current) {
        return Err(PasswordError::WrongCurrent);
    }
    let len = new.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        return Err(PasswordError::Length);
    }
    if new != confirm {
        return Err(PasswordError::Mismatch);
    }
    if new == current {
        return Err(PasswordError::Unchanged);
    }
    let hash = hash_password(new)?;
    let txn = db.begin().await?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash))
        .col_expr(account::Column::MustChangePassword, Expr::value(false))
        .col_expr(account::Column::UpdatedAt, Expr::value(audit::now()))
        .filter(account::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    let ended = super::sessions::end_all(&txn, account.id, keep).await?;
    audit::record(
        &txn,
        actor,
        "account.password_change",
        Target::new("account", account.id),
        json!({ "other_sessions_ended": ended }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What disabling an account stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disabled {
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
    /// It was disabled already (nothing changed).
    pub already: bool,
}

/// Disables an account at once: its sessions end and its tokens are revoked in the same
/// transaction (so enabling it again later would not bring them back). The last enabled
/// admin cannot be disabled.
pub async fn disable_account(
    db: &impl TransactionTrait,
    id: i64,
    actor: &Actor,
) -> Result<Disabled, AccountError> {
    let txn = db.begin().await?;
    let acct = account::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AccountError::NotFound)?;
    if acct.disabled {
        return Ok(Disabled {
            sessions_ended: 0,
            tokens_revoked: 0,
            already: true,
        });
    }
    if acct.role == Role::Admin.as_str() {
        let admins = account::Entity::find()
            .filter(account::Column::Role.eq(Role::Admin.as_str()))
            .filter(account::Column::Disabled.eq(false))
            .count(&txn)
            .await?;
        if admins <= 1 {
            return Err(AccountError::LastAdmin);
        }
    }
    let now = audit::now();
    account::Entity::update_many()
        .col_expr(account::Column::Disabled, Expr::value(true))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let sessions_ended = super::sessions::end_all(&txn, id, None).await?;
    let tokens_revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::AccountId.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        actor,
        "account.disable",
        Target::new("account", id),
        json!({ "sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked }),
    )
    .await?;
    txn.commit().await?;
    Ok(Disabled {
        sessions_ended,
        tokens_revoked,
        already: false,
    })
}

/// Every account, by e-mail.
pub async fn list_accounts(
    db: &impl ConnectionTrait,
) -> Result<Vec<account::Model>, sea_orm::DbErr> {
    account::Entity::find()
        .order_by_asc(account::Column::Email)
        .all(db)
        .await
}
