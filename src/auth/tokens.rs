//! API tokens: random, shown once, stored as a SHA-256 hash.
use crate::audit::{self, Actor, Target};
use entity::{account, api_token};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
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

pub async fn create_token(
    db: &impl TransactionTrait,
    owner: &account::Model,
    name: &str,
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
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "token.create",
        Target::new("api_token", token.id),
        json!({ "account_id": owner.id, "name": token.name, "prefix": token.prefix }),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedToken { token, secret })
}
