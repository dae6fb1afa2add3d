//! Console sign-in and sign-out, and the password page: `/login`, `/logout`,
//! `/logout/everywhere`, `/account/password`; the admin pages are in `admin`.
mod admin;

use super::sessions;
use crate::app::AppState;
use crate::audit::{self, Actor, Target};
use crate::web::console::{
    base_path, page_context, set_cookie, Console, Flash, FormData, Frame, PageError, PageResult,
    SignedIn,
};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/logout/everywhere", post(logout_everywhere))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .merge(admin::routes())
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// Where to go after signing in: a path of this console, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and line breaks from URLs ("/\t/x" is "//x") and read "\" as "/".
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".into(),
    }
}

fn login_form(
    state: &AppState,
    status: StatusCode,
    next: &str,
    email: &str,
    notice: Option<Flash>,
    error: Option<&str>,
) -> PageResult {
    let base = base_path(state);
    let frame = Frame {
        base: &base,
        title: "Sign in",
        nav: "",
        user: Value::Null,
        csrf: "",
        flash: notice.as_ref(),
    };
    let ctx = page_context(
        &frame,
        json!({ "next": next, "email": email, "error": error }),
    );
    crate::web::console::html(state, status, "console/login.html", &ctx)
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> PageResult {
    // Already signed in: straight on.
    let cookie = crate::web::console::cookie(&headers, crate::web::console::session_cookie(&state));
    if let Some(secret) = cookie {
        let web = &state.settings.web;
        if sessions::find(&state.db, secret, web.session_idle, state.clock.now())
            .await?
            .is_some()
        {
            let to = format!("{}{}", base_path(&state), safe_next(q.next.as_deref()));
            return Ok(crate::web::console::see_other(&to));
        }
    }
    let notice = q
        .signed_out
        .is_some()
        .then(|| Flash::ok("You are signed out."));
    login_form(
        &state,
        StatusCode::OK,
        &safe_next(q.next.as_deref()),
        "",
        notice,
        None,
    )
}

/// The first 16 hex digits of the e-mail's SHA-256: failed sign-ins for unknown e-mails are
/// audited under this, never the text typed (it may be a password typed in the wrong field).
fn email_digest(email: &str) -> String {
    hex::encode(&Sha256::digest(email.trim().to_lowercase().as_bytes())[..8])
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: FormData,
) -> PageResult {
    let email = form.get("email").unwrap_or_default().trim().to_owned();
    let password = form.get("password").unwrap_or_default().to_owned();
    let next = safe_next(form.get("next"));
    let throttle = &state.sign_in_throttle;
    if let Err(wait) = throttle.check(&email, peer.ip()) {
        return Err(PageError::Throttled(wait));
    }
    let found = if email.is_empty() || password.is_empty() {
        None
    } else {
        super::check_password(&state.db, &email, &password).await?
    };
    let Some(account) = found else {
        throttle.failed(&email, peer.ip());
        let target = match super::find_account_by_email(&state.db, &email).await? {
            Some(a) => Target::new("account", a.id),
            None => Target::new("account", "unknown"),
        };
        audit::record(
            &state.db,
            &Actor::System,
            "session.sign_in_failed",
            target,
            json!({ "email_sha256": email_digest(&email), "client": peer.ip().to_string() }),
        )
        .await?;
        tracing::info!("console sign-in refused");
        return login_form(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            &email,
            None,
            Some("The e-mail address or the password is not right, or the account is disabled."),
        );
    };
    throttle.succeeded(&email);
    let now = state.clock.now();
    let web = &state.settings.web;
    let new = sessions::create(&state.db, account.id, web.session_max, now).await?;
    let actor = Actor::Account {
        id: account.id,
        email: account.email.clone(),
    };
    audit::record(
        &state.db,
        &actor,
        "session.sign_in",
        Target::new("account", account.id),
        json!({ "session_id": new.session.id, "client": peer.ip().to_string() }),
    )
    .await?;
    tracing::info!(account.id = account.id, "console sign-in");
    let base = base_path(&state);
    let to = if account.must_change_password {
        format!("{base}/account/password")
    } else {
        format!("{base}{next}")
    };
    let mut res = crate::web::console::see_other(&to);
    let cookie = set_cookie(
        &state,
        crate::web::console::session_cookie(&state),
        &new.secret,
        None,
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| PageError::Internal(e.into()))?,
    );
    Ok(res)
}

/// Clears the session cookie and goes to the sign-in page.
fn signed_out(state: &AppState) -> Response {
    let to = format!("{}/login?signed_out=1", base_path(state));
    let mut res = crate::web::console::see_other(&to);
    let gone = set_cookie(
        state,
        crate::web::console::session_cookie(state),
        "",
        Some(0),
    );
    if let Ok(v) = HeaderValue::from_str(&gone) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn logout(
    State(state): State<AppState>,
    SignedIn(cx): SignedIn,
    form: FormData,
) -> PageResult {
    cx.check_csrf(&form)?;
    sessions::end(&state.db, cx.session_id).await?;
    audit::record(
        &state.db,
        &cx.auth.actor(),
        "session.sign_out",
        Target::new("account", cx.auth.account_id),
        json!({ "session_id": cx.session_id }),
    )
    .await?;
    Ok(signed_out(&state))
}

async fn logout_everywhere(
    State(state): State<AppState>,
    SignedIn(cx): SignedIn,
    form: FormData,
) -> PageResult {
    cx.check_csrf(&form)?;
    let ended = sessions::end_all(&state.db, cx.auth.account_id, None).await?;
    audit::record(
        &state.db,
        &cx.auth.actor(),
        "session.sign_out_everywhere",
        Target::new("account", cx.auth.account_id),
        json!({ "sessions_ended": ended }),
    )
    .await?;
    Ok(signed_out(&state))
}

fn password_form(cx: &Console, status: StatusCode, error: Option<(&str, String)>) -> PageResult {
    let (field, message) = error.unzip();
    let invalid = |f: &str| field == Some(f);
    cx.page_with(
        status,
        "console/password.html",
        "Choose a new password",
        "",
        json!({
            "one_time": cx.account.must_change_password,
            "min": super::PASSWORD_MIN,
            "error": field.map(|f| json!({ "field": f, "message": message })),
            "invalid": {
                "current_password": invalid("current_password"),
                "new_password": invalid("new_password"),
                "confirm_password": invalid("confirm_password"),
            },
        }),
    )
}

async fn password_page(SignedIn(cx): SignedIn) -> PageResult {
    password_form(&cx, StatusCode::OK, None)
}

async fn change_password(
    State(state): State<AppState>,
    SignedIn(cx): SignedIn,
    form: FormData,
) -> PageResult {
    use super::PasswordError as E;
    cx.check_csrf(&form)?;
    let get = |n| form.get(n).unwrap_or_default();
    let done = super::change_password(
        &state.db,
        &cx.account,
        get("current_password"),
        get("new_password"),
        get("confirm_password"),
        Some(cx.session_id),
        &cx.auth.actor(),
    )
    .await;
    match done {
        Ok(()) => Ok(cx.redirect("/", Flash::ok("Your new password is set."))),
        Err(E::Account(e)) => Err(PageError::Internal(e.into())),
        Err(e) => {
            let field = match e {
                E::WrongCurrent => "current_password",
                E::Mismatch => "confirm_password",
                _ => "new_password",
            };
            password_form(
                &cx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((field, e.to_string())),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn after_sign_in_only_paths_of_this_console() {
        assert_eq!(safe_next(Some("/incidents/3?x=1")), "/incidents/3?x=1");
        for bad in [
            None,
            Some("https://evil.example/"),
            Some("//evil.example"),
            Some("/\\evil.example"),
            Some("/\t/evil.example"),
            Some("/\n/evil.example"),
            Some("incidents"),
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
