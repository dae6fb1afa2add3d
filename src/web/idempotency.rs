//! `Idempotency-Key` on the API's triggers (opening an incident, dispatching): automation
//! retries, and a retry must not open a second incident or queue a second time.
//!
//! [`idempotent`] wraps a handler, which stays unchanged. Without the header the handler runs as
//! before. With it: authenticate (keys are per account), check the key, buffer the body (within
//! the routes' body limit), then claim the key ([`store::reserve`]). A claimed request runs in a
//! task of its own, so a client that hangs up does not cancel it half-way; its answer is stored
//! unless it is a 5xx, in which case the claim is released and the key may be retried. A repeat
//! gets the stored answer with `Idempotency-Replayed: true`; a repeat while the first still runs
//! gets 409 `idempotency_in_progress`; the key with another method, path or body gets 422
//! `idempotency_key_reused`. Keys are kept for [`store::KEEP`].
mod store;

use crate::app::AppState;
use crate::auth::Auth;
use crate::domain::Invalid;
use crate::error::AppError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

pub use store::{CLEANUP_BATCH, KEEP};

/// The request header that carries the key.
pub const HEADER: &str = "idempotency-key";
/// The response header that marks a stored answer sent again.
pub const REPLAYED: &str = "idempotency-replayed";

/// The longest key accepted, in characters.
const MAX_LEN: usize = 255;

/// A client's idempotency key: 1 to 255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a header value's bytes. The error never repeats the value.
    pub fn parse(raw: &[u8]) -> Result<IdempotencyKey, Invalid> {
        let printable = raw.iter().all(|b| (0x20..=0x7e).contains(b));
        if raw.is_empty() || raw.len() > MAX_LEN || !printable {
            return Err(Invalid(format!(
                "the Idempotency-Key header must be 1 to {MAX_LEN} printable ASCII characters"
            )));
        }
        // All ASCII, checked above.
        Ok(IdempotencyKey(String::from_utf8_lossy(raw).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Makes `handler` honour `Idempotency-Key` (see the module documentation).
pub fn idempotent<H>(handler: H) -> Idempotent<H> {
    Idempotent(handler)
}

/// A handler wrapped by [`idempotent`].
#[derive(Clone)]
pub struct Idempotent<H>(H);

impl<H, T: 'static> Handler<T, AppState> for Idempotent<H>
where
    H: Handler<T, AppState>,
{
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, req: Request, state: AppState) -> Self::Future {
        Box::pin(guard(self.0, req, state))
    }
}

/// What to do with a request that carries a key.
enum Step {
    /// Run it: it holds the claim on idempotency row `id`.
    Run { id: i64, req: Request },
    /// Answer with this, without running it.
    Answer(Response),
}

async fn guard<H, T>(handler: H, req: Request, state: AppState) -> Response
where
    H: Handler<T, AppState>,
{
    if !req.headers().contains_key(HEADER) {
        return handler.call(req, state).await;
    }
    match claim(req, &state).await {
        Ok(Step::Run { id, req }) => run(handler, req, state, id).await,
        Ok(Step::Answer(res)) => res,
        Err(e) => e.into_response(),
    }
}

/// Authenticates, checks the key and claims it, or finds the answer a repeat gets.
async fn claim(req: Request, state: &AppState) -> Result<Step, AppError> {
    let (mut parts, body) = req.into_parts();
    let auth = Auth::from_request_parts(&mut parts, state).await?;
    let key = key_of(&parts.headers)?;
    let bytes = buffer(&parts, body).await?;
    let request_hash = hex::encode(Sha256::digest(&bytes));
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let attempt = store::Attempt {
        account_id: auth.account_id,
        key: key.as_str(),
        method: parts.method.as_str(),
        path: &path,
        request_hash: &request_hash,
    };
    let reservation = store::reserve(&state.db, &attempt, state.clock.now()).await?;
    match reservation {
        store::Reservation::Claimed(id) => Ok(Step::Run {
            id,
            req: Request::from_parts(parts, Body::from(bytes)),
        }),
        store::Reservation::Replay { status, body } => {
            tracing::debug!(account.id = auth.account_id, "idempotent request replayed");
            let status = StatusCode::from_u16(status).map_err(anyhow::Error::from)?;
            let headers = [("content-type", "application/json"), (REPLAYED, "true")];
            Ok(Step::Answer((status, headers, body).into_response()))
        }
        store::Reservation::InProgress => Err(AppError::conflict(
            "idempotency_in_progress",
            "the first request with this Idempotency-Key is still running; retry later",
        )),
        store::Reservation::Mismatch => Err(AppError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for a different request (method, path or \
                      body); send a new key"
                .into(),
        }),
    }
}

/// The one `Idempotency-Key` of a request, checked.
fn key_of(headers: &HeaderMap) -> Result<IdempotencyKey, AppError> {
    let refuse = |message: String| AppError::BadRequest {
        code: "invalid_idempotency_key",
        message,
        details: json!({ "header": "Idempotency-Key" }),
    };
    let mut values = headers.get_all(HEADER).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => IdempotencyKey::parse(v.as_bytes()).map_err(|e| refuse(e.0)),
        _ => Err(refuse("send one Idempotency-Key header".into())),
    }
}

/// The whole body, within the body limit the router set (read as `ApiJson` reads it, with the
/// same errors).
async fn buffer(parts: &Parts, body: Body) -> Result<Bytes, AppError> {
    let mut probe = Request::new(body);
    *probe.extensions_mut() = parts.extensions.clone();
    Bytes::from_request(probe, &())
        .await
        .map_err(|e| AppError::bad_request("invalid_body", e.body_text()))
}

/// Runs the claimed request to its end, in a task that a client hanging up does not cancel,
/// and stores its answer (or releases the key after a 5xx).
async fn run<H, T>(handler: H, req: Request, state: AppState, id: i64) -> Response
where
    H: Handler<T, AppState>,
{
    let task = tokio::spawn(async move {
        let (db, clock) = (state.db.clone(), state.clock.clone());
        let res = match AssertUnwindSafe(handler.call(req, state))
            .catch_unwind()
            .await
        {
            Ok(res) => res,
            Err(_) => AppError::Internal(anyhow::anyhow!("an idempotent handler panicked"))
                .into_response(),
        };
        let (parts, body) = res.into_parts();
        // The handlers answer with bodies already in memory.
        let (parts, bytes) = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => (parts, bytes),
            Err(e) => {
                let res = AppError::Internal(anyhow::Error::new(e).context("reading an answer"))
                    .into_response();
                let (parts, _) = res.into_parts();
                (parts, Bytes::new())
            }
        };
        let kept = if parts.status.is_server_error() {
            store::release(&db, id).await
        } else {
            // JSON, hence UTF-8.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            store::complete(&db, id, parts.status.as_u16(), text, clock.now()).await
        };
        if let Err(e) = kept {
            tracing::error!(
                idempotency.id = id,
                error = %e,
                "could not record the end of an idempotent request; its key stays in progress \
                 until it expires"
            );
        }
        Response::from_parts(parts, Body::from(bytes))
    });
    match task.await {
        Ok(res) => res,
        Err(e) => AppError::Internal(anyhow::Error::new(e).context("an idempotent request"))
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse(b"a").is_ok());
        assert!(IdempotencyKey::parse(b"siem-run 42/retry:1 ~!").is_ok());
        assert!(IdempotencyKey::parse("k".repeat(255).as_bytes()).is_ok());
        for bad in [
            &b""[..],
            "k".repeat(256).as_bytes(),
            "clé".as_bytes(),
            b"tab\there",
            b"nul\0",
            b"del\x7f",
        ] {
            let e = IdempotencyKey::parse(bad).unwrap_err();
            assert!(e.0.contains("Idempotency-Key"), "{e}");
        }
    }

    #[test]
    fn a_refused_key_is_not_repeated_in_the_error() {
        let e = IdempotencyKey::parse("secret-ticket-ä".as_bytes()).unwrap_err();
        assert!(!e.0.contains("secret"), "{e}");
    }
}
