//! API tokens: random, shown once, stored as a SHA-256 hash.
use crate::audit::{self, Actor, Target};
use chrono::{DateTime, Duration, Utc};
use entity::{account, api_token};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

pub const TOKEN_PREFIX: &str = "tsn_";

pub struct CreatedToken {
    pub token: api_token::Model,
    /// The secret, shown once.
    pub secret: String,
}

/// The stored form of a token: SHA-256 hex. Tokens carry 192 random bits, so a fast hash is
/// enough (no dictionary to attack).
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A token that never expires (see [`create_token_expiring`]).
pub async fn create_token(
    db: &impl TransactionTrait,
    owner: &account::Model,
    name: &str,
    actor: &Actor,
) -> Result<CreatedToken, sea_orm::DbErr> {
    create_token_expiring(db, owner, name, None, actor).await
}

/// Creates a token for `owner`, refused after `expires_at` when given.
pub async fn create_token_expiring(
    db: &impl TransactionTrait,
    owner: &account::Model,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &Actor,
) -> Result<CreatedToken, sea_orm::DbErr> {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let now = audit::now();
    let txn = db.begin().await?;
    let token = api_token::ActiveModel {
        account_id: Set(owner.id),
        name: Set(name.trim().to_owned()),
        token_hash: Set(hash_token(&secret)),
        prefix: Set(secret[..12].to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "token.create",
        Target::new("api_token", token.id),
        json!({
            "account_id": owner.id,
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedToken { token, secret })
}

/// A lifetime such as `90d`, `12h`, `2w` or `30m`: a whole number and a unit.
pub fn parse_lifetime(text: &str) -> Result<Duration, crate::domain::Invalid> {
    let t = text.trim();
    let bad = || {
        crate::domain::Invalid::new(format!(
            "'{}' is not a lifetime such as 90d, 12h, 2w or 30m",
            t.chars().take(16).collect::<String>()
        ))
    };
    let (num, unit) = t.split_at(t.len().saturating_sub(1));
    let n: i64 = num.parse().map_err(|_| bad())?;
    if !(1..=100_000).contains(&n) {
        return Err(bad());
    }
    match unit {
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        "w" => Ok(Duration::weeks(n)),
        _ => Err(bad()),
    }
}

/// Where a token stands.
pub fn token_state(t: &api_token::Model, owner_disabled: bool, now: DateTime<Utc>) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at.is_some_and(|e| e <= now) {
        "expired"
    } else if owner_disabled {
        "account disabled"
    } else {
        "active"
    }
}

/// Tokens with their owner, newest first; only `owner`'s when given. Never the secrets (only
/// their hashes are stored anyway).
pub async fn list_tokens(
    db: &impl ConnectionTrait,
    owner: Option<i64>,
) -> Result<Vec<(api_token::Model, account::Model)>, sea_orm::DbErr> {
    let mut q = api_token::Entity::find().order_by_desc(api_token::Column::Id);
    if let Some(o) = owner {
        q = q.filter(api_token::Column::AccountId.eq(o));
    }
    let tokens = q.all(db).await?;
    let accounts = account::Entity::find().all(db).await?;
    Ok(tokens
        .into_iter()
        .filter_map(|t| {
            let a = accounts.iter().find(|a| a.id == t.account_id)?.clone();
            Some((t, a))
        })
        .collect())
}

/// What revoking did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Now,
    Already,
    NotFound,
}

/// Revokes a token at once (the next request with it is refused) and audits it.
pub async fn revoke_token(
    db: &impl TransactionTrait,
    id: i64,
    actor: &Actor,
) -> Result<Revoked, sea_orm::DbErr> {
    let txn = db.begin().await?;
    let Some(t) = api_token::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(Revoked::NotFound);
    };
    if t.revoked_at.is_some() {
        return Ok(Revoked::Already);
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(audit::now()))
        .filter(api_token::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        "token.revoke",
        Target::new("api_token", id),
        json!({ "account_id": t.account_id, "name": t.name, "prefix": t.prefix }),
    )
    .await?;
    txn.commit().await?;
    Ok(Revoked::Now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_a_number_and_a_unit() {
        assert_eq!(parse_lifetime("90d").unwrap(), Duration::days(90));
        assert_eq!(parse_lifetime(" 12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_lifetime("2w").unwrap(), Duration::weeks(2));
        assert_eq!(parse_lifetime("30m").unwrap(), Duration::minutes(30));
        for bad in ["", "d", "90", "-1d", "0d", "1y", "9999999d", "ninety"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
