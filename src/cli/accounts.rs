//! `tocsin user …` and `tocsin token …`.
use super::{err, open, out, Fail};
use crate::audit::Actor;
use crate::auth::{self, AccountError};
use crate::config::Settings;
use crate::domain::Role;

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
        "created {} ({})\none-time password: {} (shown once; give it to its owner)\nAPI token for \
         this account: tocsin token create --email {} --name <a name>",
        created.account.email,
        created.account.role,
        created.one_time_password,
        created.account.email
    );
    Ok(())
}

pub(super) async fn create_token(settings: &Settings, email: &str, name: &str) -> Result<(), Fail> {
    if name.trim().is_empty() {
        return Err(Fail::usage("--name must not be empty"));
    }
    let db = open(settings).await?;
    let owner = auth::find_account_by_email(&db, email)
        .await?
        .ok_or_else(|| {
            Fail::usage(format!(
                "no account with e-mail {email}: create it with `tocsin user add`"
            ))
        })?;
    let t = auth::create_token(&db, &owner, name, &Actor::Cli).await?;
    out!("{}", t.secret);
    err!(
        "API token '{}' for {} (shown once; store it now)",
        t.token.name,
        owner.email
    );
    Ok(())
}
