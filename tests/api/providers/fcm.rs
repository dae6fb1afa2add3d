//! A local FCM HTTP v1: Google's OAuth2 token endpoint (the RS256 assertion checked against the
//! service account's key and claims) and `messages:send`, answering as FCM documents
//! (`{"name": "projects/…/messages/…"}`, or a `google.rpc.Status` with `FcmError` details).
//! Answers are scripted per registration token; unscripted sends are accepted.
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};
use tocsin::delivery::wire::fcm::{GRANT_TYPE, SCOPE};
use tocsin::delivery::wire::jwt::Rs256Key;

/// The RSA key of the wire module's tests: a service-account key made for tests only.
const RSA_PKCS8: &str = include_str!("../../../src/delivery/wire/testdata/rsa-test-key.pkcs8.pem");
pub const PROJECT: &str = "tocsin-test";
const CLIENT_EMAIL: &str = "sender@tocsin-test.iam.gserviceaccount.com";
const KEY_ID: &str = "0123abcd";

/// What FCM answers one send.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    /// 404 `UNREGISTERED`: the app instance is gone.
    Unregistered,
    /// 429 `QUOTA_EXCEEDED` with `Retry-After` (seconds).
    QuotaExceeded(u64),
    /// 503 `UNAVAILABLE`.
    Unavailable,
    /// 401 `UNAUTHENTICATED`, as for an access token revoked before it expired.
    Unauthenticated,
}

#[derive(Default)]
struct Inner {
    token_requests: usize,
    refused_assertions: Vec<String>,
    issued: Vec<String>,
    /// Every `message` of an authorised `messages:send`, in order.
    messages: Vec<Value>,
    scripts: HashMap<String, VecDeque<Answer>>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    public_key: Arc<Vec<u8>>,
    token_uri: String,
}

pub struct FcmServer {
    pub addr: SocketAddr,
    /// The service-account file to give `TOCSIN_FCM_CREDENTIALS`.
    pub credentials: PathBuf,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FcmServer {
    /// Starts on a free port and writes the service-account file into `dir`.
    pub async fn start(dir: &FsPath) -> FcmServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let token_uri = format!("http://{addr}/token");
        let credentials = dir.join("fcm-service-account.json");
        let account = json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": KEY_ID,
            "private_key": RSA_PKCS8,
            "client_email": CLIENT_EMAIL,
            "client_id": "1234567890",
            "token_uri": token_uri,
        });
        std::fs::write(&credentials, account.to_string()).unwrap();
        let shared = Shared {
            inner: Default::default(),
            public_key: Arc::new(Rs256Key::from_pem(RSA_PKCS8).unwrap().public_key_der()),
            token_uri,
        };
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1/projects/{project}/messages:send", post(send))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FcmServer {
            addr,
            credentials,
            shared,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The answers for the next sends to `token`, in order.
    pub fn script(&self, token: &str, answers: &[Answer]) {
        self.lock()
            .scripts
            .insert(token.to_owned(), answers.iter().cloned().collect());
    }

    /// Token requests, whether granted or not.
    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    /// Why assertions were refused (none, when ours are right).
    pub fn refused_assertions(&self) -> Vec<String> {
        self.lock().refused_assertions.clone()
    }

    /// The messages sent with a valid access token, in order.
    pub fn messages(&self) -> Vec<Value> {
        self.lock().messages.clone()
    }

    pub fn messages_to(&self, token: &str) -> Vec<Value> {
        let all = self.messages();
        all.into_iter().filter(|m| m["token"] == token).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }
}

impl Drop for FcmServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Google's token endpoint: a JWT-bearer grant whose assertion is signed by the account's key
/// and names it, the messaging scope and this endpoint, for at most an hour.
async fn token(State(s): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let checked = check_assertion(&s, &form);
    let mut inner = s.inner.lock().unwrap();
    inner.token_requests += 1;
    match checked {
        Ok(()) => {
            let token = format!("ya29.test-{}", inner.token_requests);
            inner.issued.push(token.clone());
            Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
                .into_response()
        }
        Err(why) => {
            inner.refused_assertions.push(why.clone());
            let body = json!({"error": "invalid_grant", "error_description": why});
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

fn check_assertion(s: &Shared, form: &HashMap<String, String>) -> Result<(), String> {
    if form.get("grant_type").map(String::as_str) != Some(GRANT_TYPE) {
        return Err("unsupported grant_type".into());
    }
    let assertion = form.get("assertion").ok_or("no assertion")?;
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("not a compact JWS".into());
    };
    let signature = unb64url(signature)?;
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        s.public_key.as_slice(),
    )
    .verify(format!("{header}.{claims}").as_bytes(), &signature)
    .map_err(|_| "Invalid JWT Signature.")?;
    let header: Value = serde_json::from_slice(&unb64url(header)?).map_err(|e| e.to_string())?;
    let claims: Value = serde_json::from_slice(&unb64url(claims)?).map_err(|e| e.to_string())?;
    if header["alg"] != "RS256" || header["kid"] != KEY_ID {
        return Err(format!("unexpected header {header}"));
    }
    let now = unix_now();
    let (iat, exp) = (claims["iat"].as_u64(), claims["exp"].as_u64());
    let fresh = matches!((iat, exp), (Some(iat), Some(exp))
        if iat <= now + 60 && exp > now && exp - iat <= 3600);
    if claims["iss"] != CLIENT_EMAIL || claims["scope"] != SCOPE || claims["aud"] != s.token_uri {
        return Err(format!("unexpected claims {claims}"));
    }
    if !fresh {
        return Err("Invalid JWT: Token must be a short-lived token (60 minutes)".into());
    }
    Ok(())
}

async fn send(
    State(s): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = s.inner.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !inner.issued.iter().any(|t| t == bearer) {
        return status(
            401,
            "UNAUTHENTICATED",
            None,
            "Request had invalid authentication credentials.",
        );
    }
    if project != PROJECT {
        return status(404, "NOT_FOUND", None, "Requested entity was not found.");
    }
    let message = body["message"].clone();
    let Some(token) = message["token"].as_str().map(str::to_owned) else {
        return status(
            400,
            "INVALID_ARGUMENT",
            None,
            "Recipient of the message is not set.",
        );
    };
    let answer = inner
        .scripts
        .get_mut(&token)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Answer::Accept);
    if matches!(answer, Answer::Unauthenticated) {
        // The token is revoked: every later use of it is refused too.
        inner.issued.retain(|t| t != bearer);
    }
    inner.messages.push(message);
    let n = inner.messages.len();
    drop(inner);
    match answer {
        Answer::Accept => {
            Json(json!({"name": format!("projects/{PROJECT}/messages/0:{n}%fake")})).into_response()
        }
        Answer::Unregistered => status(
            404,
            "NOT_FOUND",
            Some("UNREGISTERED"),
            "Requested entity was not found.",
        ),
        Answer::QuotaExceeded(secs) => {
            let mut r = status(
                429,
                "RESOURCE_EXHAUSTED",
                Some("QUOTA_EXCEEDED"),
                "Quota exceeded for quota metric 'Send requests'.",
            );
            r.headers_mut()
                .insert("retry-after", secs.to_string().parse().unwrap());
            r
        }
        Answer::Unavailable => status(
            503,
            "UNAVAILABLE",
            Some("UNAVAILABLE"),
            "The service is currently unavailable.",
        ),
        Answer::Unauthenticated => status(
            401,
            "UNAUTHENTICATED",
            None,
            "Request had invalid authentication credentials.",
        ),
    }
}

/// A `google.rpc.Status` error body, with an `FcmError` detail when FCM gives one.
fn status(code: u16, status: &str, fcm_code: Option<&str>, message: &str) -> Response {
    let mut details = Vec::new();
    if let Some(c) = fcm_code {
        details.push(json!({
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": c,
        }));
    }
    let body =
        json!({"error": {"code": code, "message": message, "status": status, "details": details}});
    (StatusCode::from_u16(code).unwrap(), Json(body)).into_response()
}

fn unb64url(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| "not base64url".to_owned())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
