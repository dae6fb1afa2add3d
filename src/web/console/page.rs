//! Console responses: pages in the layout, redirects with a flash, and errors.
//!
//! A handler's error becomes a response that carries an [`ErrorPage`] marker; the security
//! middleware (`web::security`), which knows the request id, renders it with the console's
//! error template. So every error page, the fallback's 404 included, names the request id that
//! the log names too.
use super::flash::Flash;
use crate::app::AppState;
use crate::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::time::Duration;

/// The marker a failed console response carries until the middleware renders it.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub message: String,
}

/// Why a console request did not get its page.
#[derive(Debug)]
pub enum PageError {
    /// Go there instead (303): sign in first, change the one-time password first.
    Redirect(String),
    /// An error page with this status and message (no personal data in it).
    Show { status: StatusCode, message: String },
    /// 429 with Retry-After.
    Throttled(Duration),
    /// 500: logged with the request id, never shown.
    Internal(anyhow::Error),
}

pub type PageResult<T = Response> = Result<T, PageError>;

impl PageError {
    pub fn show(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError::Show {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> PageError {
        PageError::show(
            StatusCode::NOT_FOUND,
            format!(
                "There is no such {what}. Check the address, or start again from the overview."
            ),
        )
    }

    pub fn forbidden() -> PageError {
        PageError::show(
            StatusCode::FORBIDDEN,
            "Your role does not allow this. Ask an administrator if you need it.",
        )
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(e) => PageError::Internal(e),
            AppError::Unauthorized => PageError::Redirect("/login".into()),
            AppError::Forbidden(_) => PageError::forbidden(),
            AppError::NotFound(what) => PageError::not_found(&what),
            AppError::Validation(fields) => PageError::show(
                StatusCode::UNPROCESSABLE_ENTITY,
                fields
                    .into_iter()
                    .map(|(f, r)| format!("{f}: {r}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => {
                let status = other.status();
                PageError::show(status, other.to_string())
            }
        }
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> Self {
        PageError::Internal(e.into())
    }
}

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        PageError::Internal(e)
    }
}

impl From<crate::incidents::IncidentError> for PageError {
    fn from(e: crate::incidents::IncidentError) -> Self {
        AppError::from(e).into()
    }
}

impl From<crate::domain::Corrupt> for PageError {
    fn from(e: crate::domain::Corrupt) -> Self {
        PageError::Internal(e.into())
    }
}

fn marked(status: StatusCode, message: String) -> Response {
    let mut res = status.into_response();
    res.extensions_mut().insert(ErrorPage { message });
    res
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => see_other(&to),
            PageError::Show { status, message } => marked(status, message),
            PageError::Throttled(wait) => {
                let secs = wait.as_secs().max(1);
                let minutes = secs.div_ceil(60);
                let mut res = marked(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed sign-ins. Wait {minutes} minute{} and try again.",
                        if minutes == 1 { "" } else { "s" }
                    ),
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
            PageError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                marked(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. The server log has the details under the \
                     request id below."
                        .into(),
                )
            }
        }
    }
}

/// 303 to `to` (a path already under the base).
pub fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// The parts of the layout every page shares.
pub struct Frame<'a> {
    pub base: &'a str,
    pub title: &'a str,
    /// Which main navigation entry is current ("overview", "incidents", "audit", "admin").
    pub nav: &'a str,
    /// `{email, role, audit, admin}` of who is signed in, or null.
    pub user: Value,
    pub csrf: &'a str,
    pub flash: Option<&'a Flash>,
}

/// The context of a template in the layout: the frame's parts, the asset URLs and the page's
/// own data under `page`.
pub fn context(frame: &Frame<'_>, page: Value) -> Value {
    let asset = |f| crate::web::statics::url(frame.base, f).unwrap_or_default();
    json!({
        "base": frame.base,
        "title": frame.title,
        "nav": frame.nav,
        "user": frame.user,
        "csrf": frame.csrf,
        "flash": frame.flash.map(|f| json!({ "level": f.level.as_str(), "text": f.text })),
        "assets": {
            "css": asset("console.css"),
            "icon": asset("favicon.svg"),
            "js": asset("console.js"),
            "htmx": asset("vendor/htmx-2.0.11.min.js"),
        },
        "page": page,
    })
}

/// Renders `template` as an HTML response.
pub fn html(state: &AppState, status: StatusCode, template: &str, ctx: &Value) -> PageResult {
    let body = state.templates.render(template, ctx)?;
    Ok((
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response())
}

/// Replaces a response marked with [`ErrorPage`] by the console's error page.
pub fn render_error_page(state: &AppState, request_id: &str, res: Response) -> Response {
    let Some(err) = res.extensions().get::<ErrorPage>().cloned() else {
        return res;
    };
    let status = res.status();
    let base = crate::web::console::base_path(state);
    let title = status.canonical_reason().unwrap_or("Error");
    let frame = Frame {
        base: &base,
        title,
        nav: "",
        user: Value::Null,
        csrf: "",
        flash: None,
    };
    let ctx = context(
        &frame,
        json!({ "status": status.as_u16(), "message": err.message, "request_id": request_id }),
    );
    let (mut parts, _) = res.into_parts();
    parts.extensions.remove::<ErrorPage>();
    match state.templates.render("console/error.html", &ctx) {
        Ok(body) => {
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Response::from_parts(parts, body.into())
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "the error page does not render");
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            let text = format!("{}\n\nRequest id: {request_id}\n", err.message);
            Response::from_parts(parts, text.into())
        }
    }
}
