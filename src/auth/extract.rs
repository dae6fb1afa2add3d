//! The `Auth` extractor: who is calling, from `Authorization: Bearer <token>`.
use super::{allowed, hash_token, Action};
use crate::app::AppState;
use crate::audit::Actor;
use crate::domain::Role;
use crate::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Duration;
use entity::{account, api_token};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// An authenticated caller. Handlers call `require` with the one action they perform.
#[derive(Debug, Clone)]
pub struct Auth {
    pub account_id: i64,
    pub email: String,
    pub role: Role,
}

impl Auth {
    /// Checks the permission table; on success returns the actor to write in the audit log.
    pub fn require(&self, action: Action) -> Result<Actor, AppError> {
        if allowed(self.role, action) {
            Ok(self.actor())
        } else {
            Err(AppError::Forbidden(format!(
                "the {} role may not do this ({action:?})",
                self.role.as_str()
            )))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::Account {
            id: self.account_id,
            email: self.email.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::Unauthorized)?;
        let secret = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(AppError::Unauthorized)?;
        let token = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash_token(secret)))
            .one(&state.db)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let acct = account::Entity::find_by_id(token.account_id)
            .one(&state.db)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let now = crate::audit::now();
        if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| e <= now) || acct.disabled
        {
            return Err(AppError::Unauthorized);
        }
        let role = Role::parse(&acct.role).map_err(|e| AppError::Internal(e.into()))?;
        // Record use at most every five minutes: no write on every request.
        if token
            .last_used_at
            .is_none_or(|t| now - t > Duration::minutes(5))
        {
            api_token::Entity::update_many()
                .col_expr(
                    api_token::Column::LastUsedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(api_token::Column::Id.eq(token.id))
                .exec(&state.db)
                .await?;
        }
        Ok(Auth {
            account_id: acct.id,
            email: acct.email,
            role,
        })
    }
}
