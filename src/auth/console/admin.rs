//! `/admin/users` and `/admin/tokens`: accounts (create with a one-time password, disable) and
//! API tokens (create, revoke, expiry), the console's side of `tocsin user …` and
//! `tocsin token …`, through the same use cases. A new password or token is shown once, in the
//! answer to the form that made it (not after a redirect: it must not travel in a cookie).
use crate::app::AppState;
use crate::auth::{self, AccountError, Action, Revoked};
use crate::domain::Role;
use crate::web::console::{Console, Flash, FormData, PageError, PageResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/users/{id}/disable", post(disable_user))
        .route("/admin/tokens", get(tokens).post(add_token))
        .route("/admin/tokens/{id}/revoke", post(revoke))
}

/// Lifetimes offered for a new token (the CLI takes any).
const LIFETIMES: &[(&str, &str)] = &[
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "1 year"),
    ("", "Never"),
];

async fn users_page(
    state: &AppState,
    cx: &Console,
    status: StatusCode,
    created: Value,
    error: Option<(&str, String)>,
    email: &str,
) -> PageResult {
    let accounts = auth::list_accounts(&state.db).await?;
    let rows: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "email": a.email,
                "role": a.role,
                "state": if a.disabled { "disabled" } else if a.must_change_password { "one-time password" } else { "active" },
                "disabled": a.disabled,
                "me": a.id == cx.auth.account_id,
                "created": cx.locale.time(Some(a.created_at)),
            })
        })
        .collect();
    let (field, message) = error.unzip();
    cx.page_with(
        status,
        "console/admin/users.html",
        "Users",
        "admin",
        json!({
            "accounts": rows,
            "roles": Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "created": created,
            "email": email,
            "error": field.map(|f| json!({ "field": f, "message": message })),
        }),
    )
}

async fn users(State(state): State<AppState>, cx: Console) -> PageResult {
    cx.require(Action::AccountsManage)?;
    users_page(&state, &cx, StatusCode::OK, Value::Null, None, "").await
}

async fn add_user(State(state): State<AppState>, cx: Console, form: FormData) -> PageResult {
    let actor = cx.require(Action::AccountsManage)?;
    cx.check_csrf(&form)?;
    let email = form.get("email").unwrap_or_default().trim().to_owned();
    let role = match Role::parse(form.get("role").unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => {
            let err = Some(("role", e.0));
            return users_page(
                &state,
                &cx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Value::Null,
                err,
                &email,
            )
            .await;
        }
    };
    match auth::create_account(&state.db, &email, role, &actor).await {
        Ok(made) => {
            let created = json!({
                "email": made.account.email,
                "role": made.account.role,
                "password": made.one_time_password,
            });
            users_page(&state, &cx, StatusCode::OK, created, None, "").await
        }
        Err(e @ (AccountError::BadEmail(_) | AccountError::Exists(_))) => {
            let err = Some(("email", e.to_string()));
            users_page(
                &state,
                &cx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Value::Null,
                err,
                &email,
            )
            .await
        }
        Err(e) => Err(PageError::Internal(e.into())),
    }
}

async fn disable_user(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::AccountsManage)?;
    cx.check_csrf(&form)?;
    if id == cx.auth.account_id {
        return Ok(cx.redirect(
            "/admin/users",
            Flash::error("You cannot disable your own account here."),
        ));
    }
    let flash = match auth::disable_account(&state.db, id, &actor).await {
        Ok(d) if d.already => Flash::ok(format!("Account {id} was already disabled.")),
        Ok(d) => Flash::ok(format!(
            "Account {id} disabled: {} sessions ended, {} tokens revoked.",
            d.sessions_ended, d.tokens_revoked
        )),
        Err(AccountError::NotFound) => return Err(PageError::not_found("account")),
        Err(e @ AccountError::LastAdmin) => Flash::error(e.to_string()),
        Err(e) => return Err(PageError::Internal(e.into())),
    };
    Ok(cx.redirect("/admin/users", flash))
}

async fn tokens_page(
    state: &AppState,
    cx: &Console,
    status: StatusCode,
    created: Value,
    error: Option<(&str, String)>,
) -> PageResult {
    let now = state.clock.now();
    let accounts = auth::list_accounts(&state.db).await?;
    let rows: Vec<Value> = auth::list_tokens(&state.db, None)
        .await?
        .iter()
        .map(|(t, a)| {
            let state = auth::token_state(t, a.disabled, now);
            json!({
                "id": t.id,
                "email": a.email,
                "name": t.name,
                "prefix": t.prefix,
                "created": cx.locale.time(Some(t.created_at)),
                "last_used": cx.locale.time(t.last_used_at),
                "expires": cx.locale.time(t.expires_at),
                "state": state,
                "active": state == "active",
            })
        })
        .collect();
    let (field, message) = error.unzip();
    cx.page_with(
        status,
        "console/admin/tokens.html",
        "API tokens",
        "admin",
        json!({
            "tokens": rows,
            "accounts": accounts.iter().filter(|a| !a.disabled).map(|a| json!({ "id": a.id, "email": a.email })).collect::<Vec<_>>(),
            "lifetimes": LIFETIMES.iter().map(|(v, l)| json!({ "value": v, "label": l, "default": *v == "90d" })).collect::<Vec<_>>(),
            "created": created,
            "error": field.map(|f| json!({ "field": f, "message": message })),
        }),
    )
}

async fn tokens(State(state): State<AppState>, cx: Console) -> PageResult {
    cx.require(Action::AccountsManage)?;
    tokens_page(&state, &cx, StatusCode::OK, Value::Null, None).await
}

async fn add_token(State(state): State<AppState>, cx: Console, form: FormData) -> PageResult {
    let actor = cx.require(Action::AccountsManage)?;
    cx.check_csrf(&form)?;
    let bad = |field, message: String| Some((field, message));
    let owner = match form.text("account_id").and_then(|v| v.parse::<i64>().ok()) {
        Some(id) => auth::list_accounts(&state.db)
            .await?
            .into_iter()
            .find(|a| a.id == id && !a.disabled),
        None => None,
    };
    let name = form.text("name").unwrap_or_default();
    let lifetime = form
        .text("expires_in")
        .map(|v| auth::parse_lifetime(&v))
        .transpose();
    let error = match (&owner, name.is_empty(), &lifetime) {
        (None, _, _) => bad("account_id", "choose an enabled account".into()),
        (_, true, _) => bad(
            "name",
            "give the token a name, e.g. the system that uses it".into(),
        ),
        (_, _, Err(e)) => bad("expires_in", e.0.clone()),
        _ => None,
    };
    if error.is_some() {
        return tokens_page(
            &state,
            &cx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Value::Null,
            error,
        )
        .await;
    }
    let (Some(owner), Ok(lifetime)) = (owner, lifetime) else {
        return Err(PageError::Internal(anyhow::anyhow!("checked above")));
    };
    let expires_at = lifetime.map(|l| state.clock.now() + l);
    let t = auth::create_token_expiring(&state.db, &owner, &name, expires_at, &actor).await?;
    let created = json!({
        "id": t.token.id,
        "email": owner.email,
        "name": t.token.name,
        "secret": t.secret,
        "expires": cx.locale.time(t.token.expires_at),
    });
    tokens_page(&state, &cx, StatusCode::OK, created, None).await
}

async fn revoke(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::AccountsManage)?;
    cx.check_csrf(&form)?;
    let flash = match auth::revoke_token(&state.db, id, &actor).await? {
        Revoked::Now => Flash::ok(format!("Token {id} revoked.")),
        Revoked::Already => Flash::ok(format!("Token {id} was already revoked.")),
        Revoked::NotFound => return Err(PageError::not_found("token")),
    };
    Ok(cx.redirect("/admin/tokens", flash))
}
