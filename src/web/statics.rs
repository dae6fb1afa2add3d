//! The console's stylesheet and scripts, built into the binary from `static/` and served by
//! Tocsin itself (no CDN): `/static/<hash>/<file>`, where the hash is the start of the file's
//! SHA-256. A URL names one version of a file forever, so browsers may keep it a year; a new
//! build changes the URL. A stale hash is 404, never another version.
use crate::app::AppState;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

struct Asset {
    hash: String,
    bytes: &'static [u8],
    mime: &'static str,
}

fn assets() -> &'static HashMap<&'static str, Asset> {
    static ASSETS: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut out = HashMap::new();
        let mut stack = vec![&STATIC];
        while let Some(d) = stack.pop() {
            for e in d.entries() {
                match e {
                    include_dir::DirEntry::Dir(sub) => stack.push(sub),
                    include_dir::DirEntry::File(f) => {
                        let Some(path) = f.path().to_str() else {
                            continue;
                        };
                        let mime = match path.rsplit('.').next() {
                            Some("css") => "text/css; charset=utf-8",
                            Some("js") => "text/javascript; charset=utf-8",
                            Some("svg") => "image/svg+xml",
                            _ => "text/plain; charset=utf-8",
                        };
                        let hash = hex::encode(&Sha256::digest(f.contents())[..6]);
                        out.insert(
                            path,
                            Asset {
                                hash,
                                bytes: f.contents(),
                                mime,
                            },
                        );
                    }
                }
            }
        }
        out
    })
}

/// The URL path of a built-in static file (`console.css`), under `base` (the public URL's
/// path, "" or "/security"). `None` for a file that is not built in.
pub fn url(base: &str, file: &str) -> Option<String> {
    assets()
        .get(file)
        .map(|a| format!("{base}/static/{}/{file}", a.hash))
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/static/{hash}/{*file}", get(serve))
}

async fn serve(Path((hash, file)): Path<(String, String)>) -> Response {
    match assets().get(file.as_str()).filter(|a| a.hash == hash) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "not found",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_hash() {
        let u = url("", "console.css").expect("built in");
        assert!(
            u.starts_with("/static/") && u.ends_with("/console.css"),
            "{u}"
        );
        assert_eq!(u.split('/').nth(2).unwrap().len(), 12);
        assert!(url("/security", "console.css")
            .unwrap()
            .starts_with("/security/static/"));
        assert!(url("", "nope.css").is_none());
    }
}
