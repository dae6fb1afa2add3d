//! Cross-site requests are refused on every state-changing console route: a browser says
//! where a request comes from (`Sec-Fetch-Site`, `Origin`), and anything but this site is
//! turned away before a handler runs. With `SameSite=Strict` cookies and the form token
//! (`Console::check_csrf`), that is three locks. The JSON API, authenticated by bearer tokens
//! that browsers never attach on their own, is not behind this guard.
use super::page::PageError;
use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether a request with these headers comes from this site. `public` is the origin of
/// `TOCSIN_PUBLIC_URL`; `host` the request's `Host`. A request without either header (not a
/// browser's, or a very old one) passes here and meets the form token.
pub fn same_site(
    fetch_site: Option<&str>,
    origin: Option<&str>,
    public: &str,
    host: Option<&str>,
) -> bool {
    if let Some(site) = fetch_site {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    match origin {
        None => true,
        Some(o) => {
            o == public
                || host.is_some_and(|h| {
                    o.strip_prefix("http://")
                        .or_else(|| o.strip_prefix("https://"))
                        == Some(h)
                })
        }
    }
}

pub async fn cross_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let text = |name| {
        h.get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    let public = url::Url::parse(state.links.base())
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    if same_site(
        text(header::HeaderName::from_static("sec-fetch-site")),
        text(header::ORIGIN),
        &public,
        text(header::HOST),
    ) {
        return next.run(req).await;
    }
    tracing::info!(http.path = %req.uri().path(), "cross-site request refused");
    PageError::show(
        StatusCode::FORBIDDEN,
        "This request came from another site, so it was refused. Use the forms of this console.",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn only_this_site_passes() {
        let p = "https://tocsin.example";
        assert!(same_site(
            Some("same-origin"),
            Some(p),
            p,
            Some("tocsin.example")
        ));
        assert!(same_site(None, None, p, None));
        assert!(same_site(
            None,
            Some("http://127.0.0.1:8080"),
            p,
            Some("127.0.0.1:8080")
        ));
        assert!(!same_site(Some("same-site"), Some(p), p, None));
        assert!(!same_site(Some("cross-site"), None, p, None));
        assert!(!same_site(
            None,
            Some("https://evil.example"),
            p,
            Some("tocsin.example")
        ));
        assert!(!same_site(None, Some("null"), p, Some("tocsin.example")));
        assert!(!same_site(
            None,
            Some("http://127.0.0.1:9"),
            p,
            Some("127.0.0.1:8080")
        ));
    }
}
