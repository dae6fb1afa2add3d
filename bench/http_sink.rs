//! A local HTTP sink for the delivery benchmark (bench/delivery.sh): accepts every SMS and push
//! with the provider's documented success answer, as fast as it can, and counts them.
//!
//! - Twilio: `POST /2010-04-01/Accounts/{sid}/Messages.json` → 201 with a message resource.
//! - FCM HTTP v1: `POST /token` (the service account's `token_uri`) → a bearer token;
//!   `POST /v1/projects/{project}/messages:send` → 200 `{"name": "projects/…/messages/…"}`.
//! - `GET /count` → `{"sms": N, "push": N, "token": N}`.
//!
//! usage: `http_sink 127.0.0.1:PORT` (build: `cargo build --release --example http_sink`).
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Counts {
    sms: AtomicU64,
    push: AtomicU64,
    token: AtomicU64,
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9099".into());
    let counts = Arc::new(Counts::default());
    let app = Router::new()
        .route("/2010-04-01/Accounts/{sid}/Messages.json", post(sms))
        .route("/token", post(token))
        .route("/v1/projects/{project}/messages:send", post(push))
        .route("/count", get(count))
        .with_state(counts);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    eprintln!("http_sink on {addr}");
    axum::serve(listener, app).await.expect("serve");
}

async fn sms(State(c): State<Arc<Counts>>, Path(sid): Path<String>) -> (StatusCode, Json<Value>) {
    let n = c.sms.fetch_add(1, Ordering::Relaxed) + 1;
    (
        StatusCode::CREATED,
        Json(json!({
            "account_sid": sid,
            "api_version": "2010-04-01",
            "sid": format!("SM{n:032x}"),
            "status": "queued",
            "num_segments": "1",
            "error_code": null,
            "error_message": null,
        })),
    )
}

async fn token(State(c): State<Arc<Counts>>) -> Json<Value> {
    c.token.fetch_add(1, Ordering::Relaxed);
    Json(json!({"access_token": "bench-token", "expires_in": 3599, "token_type": "Bearer"}))
}

async fn push(State(c): State<Arc<Counts>>, Path(project): Path<String>) -> Json<Value> {
    let n = c.push.fetch_add(1, Ordering::Relaxed) + 1;
    Json(json!({"name": format!("projects/{project}/messages/0:{n}")}))
}

async fn count(State(c): State<Arc<Counts>>) -> Json<Value> {
    Json(json!({
        "sms": c.sms.load(Ordering::Relaxed),
        "push": c.push.load(Ordering::Relaxed),
        "token": c.token.load(Ordering::Relaxed),
    }))
}
