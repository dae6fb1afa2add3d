//! Who is signed in to the console, from the session cookie: the [`Console`] extractor yields
//! the same [`Auth`] (and so the same `Actor` and `require(Action)`) as an API token, plus
//! what every page needs (the form token, a flash, the reader's locale, the base path).
use super::flash::{self, Flash};
use super::locale::Locale;
use super::page::{self, Frame, PageError, PageResult};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{sessions, Action, Auth};
use crate::domain::Role;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use entity::account;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The session cookie's name: with the `__Host-` prefix over https (the browser then insists
/// on `Secure`, `Path=/` and no `Domain`).
pub fn session_cookie(state: &AppState) -> &'static str {
    if state.links.is_https() {
        "__Host-tocsin_session"
    } else {
        "tocsin_session"
    }
}

fn flash_cookie(state: &AppState) -> &'static str {
    if state.links.is_https() {
        "__Host-tocsin_flash"
    } else {
        "tocsin_flash"
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure over https; `max_age` in
/// seconds (0 deletes it; `None` lasts the browser session).
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if state.links.is_https() {
        c.push_str("; Secure");
    }
    c
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The path the console lives under: that of `TOCSIN_PUBLIC_URL` ("" at the root).
pub fn base_path(state: &AppState) -> String {
    url::Url::parse(state.links.base())
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// A signed-in person whose password is not a one-time password any more.
pub struct Console {
    pub auth: Auth,
    pub account: account::Model,
    pub session_id: i64,
    secret: String,
    /// The token every console form carries (`_csrf`), derived from the session's secret.
    pub csrf: String,
    pub flash: Option<Flash>,
    pub locale: Locale,
    pub base: String,
    state: AppState,
}

/// Anyone signed in, even with a one-time password still to change (the password page and
/// sign-out).
pub struct SignedIn(pub Console);

fn csrf_of(secret: &str) -> String {
    hex::encode(&Sha256::digest(format!("tocsin csrf\0{secret}").as_bytes())[..16])
}

impl Console {
    async fn extract(parts: &Parts, state: &AppState, one_time_ok: bool) -> PageResult<Console> {
        let base = base_path(state);
        let login = || {
            let here = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let next = if parts.method == axum::http::Method::GET && here != "/" {
                format!("?next={}", urlencoding::encode(&here))
            } else {
                String::new()
            };
            PageError::Redirect(format!("{base}/login{next}"))
        };
        let secret = cookie(&parts.headers, session_cookie(state))
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(login)?
            .to_owned();
        let web = &state.settings.web;
        let live = sessions::find(&state.db, &secret, web.session_idle, state.clock.now())
            .await?
            .ok_or_else(login)?;
        if live.account.must_change_password && !one_time_ok {
            return Err(PageError::Redirect(format!("{base}/account/password")));
        }
        let role = Role::parse(&live.account.role).map_err(|e| PageError::Internal(e.into()))?;
        let flash =
            cookie(&parts.headers, flash_cookie(state)).and_then(|v| flash::decode(v, &secret));
        let locale = Locale::from_accept_language(
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        Ok(Console {
            auth: Auth {
                account_id: live.account.id,
                email: live.account.email.clone(),
                role,
            },
            account: live.account,
            session_id: live.session.id,
            csrf: csrf_of(&secret),
            secret,
            flash,
            locale,
            base,
            state: state.clone(),
        })
    }

    /// The permission table's answer, as the actor to audit, or the forbidden page.
    pub fn require(&self, action: Action) -> Result<Actor, PageError> {
        self.auth
            .require(action)
            .map_err(|_| PageError::forbidden())
    }

    /// Whether the role may do `action` (to offer only what it may).
    pub fn can(&self, action: Action) -> bool {
        crate::auth::allowed(self.auth.role, action)
    }

    /// `path` under the console's base path.
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Checks the form token a console form must carry.
    pub fn check_csrf(&self, form: &super::FormData) -> Result<(), PageError> {
        let given = form.get("_csrf").unwrap_or_default();
        // Both are digests of secrets: comparing them leaks nothing useful.
        if given == self.csrf {
            Ok(())
        } else {
            Err(PageError::show(
                StatusCode::FORBIDDEN,
                "This form is out of date or was not sent from this console. Go back, reload \
                 the page and send it again.",
            ))
        }
    }

    fn user(&self) -> Value {
        json!({
            "email": self.auth.email,
            "role": self.auth.role.as_str(),
            "audit": self.can(Action::AuditRead),
            "admin": self.can(Action::AccountsManage),
            // Until the one-time password is replaced, no page but that one opens: no menu.
            "one_time": self.account.must_change_password,
        })
    }

    /// A page in the layout, with `status`; shows (and clears) the flash.
    pub fn page_with(
        &self,
        status: StatusCode,
        template: &str,
        title: &str,
        nav: &str,
        data: Value,
    ) -> PageResult {
        let frame = Frame {
            base: &self.base,
            title,
            nav,
            user: self.user(),
            csrf: &self.csrf,
            flash: self.flash.as_ref(),
        };
        let ctx = page::context(&frame, data);
        let mut res = page::html(&self.state, status, template, &ctx)?;
        if self.flash.is_some() {
            let gone = set_cookie(&self.state, flash_cookie(&self.state), "", Some(0));
            if let Ok(v) = HeaderValue::from_str(&gone) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        Ok(res)
    }

    /// A page in the layout (200).
    pub fn page(&self, template: &str, title: &str, nav: &str, data: Value) -> PageResult {
        self.page_with(StatusCode::OK, template, title, nav, data)
    }

    /// 303 to `path` (under the base), with a message for the next page.
    pub fn redirect(&self, path: &str, flash: Flash) -> Response {
        let mut res = page::see_other(&self.path(path));
        let value = flash::encode(&flash, &self.secret);
        let c = set_cookie(&self.state, flash_cookie(&self.state), &value, Some(60));
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        res
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> PageResult<Console> {
        Console::extract(parts, state, false).await
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> PageResult<SignedIn> {
        Console::extract(parts, state, true).await.map(SignedIn)
    }
}
