//! `tocsin user …` and `tocsin token …`.
use super::{connect, err, open, out, Fail};
use crate::audit::Actor;
use crate::auth::{self, AccountError, Revoked};
use crate::config::Settings;
use crate::domain::Role;
use entity::account;

pub(super) async fn add_user(settings: &Settings, email: &str, role: &str) -> Result<(), Fail> {
    let role = Role::parse(role).map_err(|e| Fail::usage(format!("--role: {e}")))?;
    let db = open(settings).await?;
    let created = auth::create_account(&db, email, role, &Actor::Cli)
        .await
        .map_err(|e| match e {
            e @ (AccountError::BadEmail(_) | AccountError::Exists(_)) => Fail::usage(e.to_string()),
            other => Fail::runtime(other.to_string()),
        })?;
    out!(
        "created {} ({})\none-time password: {} (shown once; give it to its owner, who chooses a \
         new one at first sign-in)\nAPI token for this account: tocsin token create --email {} \
         --name <a name>",
        created.account.email,
        created.account.role,
        created.one_time_password,
        created.account.email
    );
    Ok(())
}

async fn account_by_email(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> Result<account::Model, Fail> {
    auth::find_account_by_email(db, email)
        .await?
        .ok_or_else(|| {
            Fail::usage(format!(
                "no account with e-mail {email}: create it with `tocsin user add`"
            ))
        })
}

pub(super) async fn disable_user(settings: &Settings, email: &str) -> Result<(), Fail> {
    let db = open(settings).await?;
    let acct = account_by_email(&db, email).await?;
    let d = auth::disable_account(&db, acct.id, &Actor::Cli)
        .await
        .map_err(|e| match e {
            e @ AccountError::LastAdmin => Fail::usage(e.to_string()),
            other => Fail::runtime(other.to_string()),
        })?;
    if d.already {
        out!("{} was already disabled", acct.email);
    } else {
        out!(
            "disabled {}: {} console sessions ended, {} API tokens revoked",
            acct.email,
            d.sessions_ended,
            d.tokens_revoked
        );
    }
    Ok(())
}

pub(super) async fn create_token(
    settings: &Settings,
    email: &str,
    name: &str,
    expires_in: Option<&str>,
) -> Result<(), Fail> {
    if name.trim().is_empty() {
        return Err(Fail::usage("--name must not be empty"));
    }
    let lifetime = expires_in
        .map(auth::parse_lifetime)
        .transpose()
        .map_err(|e| Fail::usage(format!("--expires-in: {e}")))?;
    let db = open(settings).await?;
    let owner = account_by_email(&db, email).await?;
    if owner.disabled {
        return Err(Fail::usage(format!("{} is disabled", owner.email)));
    }
    let expires_at = lifetime.map(|l| crate::audit::now() + l);
    let t = auth::create_token_expiring(&db, &owner, name, expires_at, &Actor::Cli).await?;
    out!("{}", t.secret);
    let until = match t.token.expires_at {
        Some(e) => format!("; expires {}", e.format("%Y-%m-%d %H:%M UTC")),
        None => String::new(),
    };
    err!(
        "API token {} '{}' for {} (shown once; store it now{until})",
        t.token.id,
        t.token.name,
        owner.email
    );
    Ok(())
}

pub(super) async fn list_tokens(settings: &Settings, email: Option<&str>) -> Result<(), Fail> {
    let db = connect(settings).await?;
    let owner = match email {
        Some(e) => Some(account_by_email(&db, e).await?.id),
        None => None,
    };
    let now = crate::audit::now();
    let rows = auth::list_tokens(&db, owner).await?;
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        )
    };
    out!(
        "{:>5}  {:<28}  {:<16}  {:<12}  {:<16}  {:<16}  {:<16}  state",
        "id",
        "account",
        "name",
        "prefix",
        "created (UTC)",
        "last used",
        "expires"
    );
    for (t, a) in &rows {
        out!(
            "{:>5}  {:<28}  {:<16}  {:<12}  {:<16}  {:<16}  {:<16}  {}",
            t.id,
            a.email,
            t.name,
            t.prefix,
            day(Some(t.created_at)),
            day(t.last_used_at),
            day(t.expires_at),
            auth::token_state(t, a.disabled, now)
        );
    }
    if rows.is_empty() {
        err!("no tokens");
    }
    Ok(())
}

pub(super) async fn revoke_token(settings: &Settings, id: i64) -> Result<(), Fail> {
    let db = open(settings).await?;
    match auth::revoke_token(&db, id, &Actor::Cli).await? {
        Revoked::Now => out!("revoked token {id}"),
        Revoked::Already => out!("token {id} was already revoked"),
        Revoked::NotFound => {
            return Err(Fail::usage(format!(
                "no token {id} (see `tocsin token list`)"
            )))
        }
    }
    Ok(())
}
