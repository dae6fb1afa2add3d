//! A local Web Push service (RFC 8030): records each message's encrypted body and headers,
//! checks the VAPID authorization (RFC 8292: an ES256 JWT for this origin, signed by the key it
//! names), and answers 201 with a `Location`, or 404/410/413/429. Scripted per subscription;
//! unscripted messages are accepted. Subscriptions are made here with fresh browser keys.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// What the push service answers one message.
#[derive(Debug, Clone)]
pub enum Answer {
    Created,
    /// 404: no such subscription.
    NotFound,
    /// 410: the subscription expired or was removed.
    Gone,
    /// 413: payload too large.
    TooLarge,
    /// 429 with `Retry-After` (seconds).
    TooManyRequests(u64),
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Message {
    pub subscription: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// The VAPID public key (`k=`) when the authorization checked out, else why not.
    pub vapid: Result<String, String>,
}

/// A browser's subscription to this service, with the keys to read what is sent to it.
pub struct Browser {
    /// The subscription JSON, as imported (`push_token`).
    pub token: String,
    /// The P-256 private scalar, base64url.
    pub private_key: String,
    /// The auth secret, base64url.
    pub auth: String,
}

#[derive(Default)]
struct Inner {
    messages: Vec<Message>,
    scripts: HashMap<String, VecDeque<Answer>>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    origin: String,
}

pub struct WebPushServer {
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl WebPushServer {
    pub async fn start() -> WebPushServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Shared {
            inner: Default::default(),
            origin: format!("http://{addr}"),
        };
        let app = Router::new()
            .route("/push/{subscription}", post(receive))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        WebPushServer { shared, task }
    }

    /// The origin, as `TOCSIN_WEBPUSH_ALLOW` lists it.
    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    /// A new browser subscribed at `/push/{name}`.
    pub fn subscribe(&self, name: &str) -> Browser {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let auth: [u8; 16] = rand::random();
        let public = key.public_key().to_encoded_point(false);
        let token = json!({
            "endpoint": format!("{}/push/{name}", self.origin()),
            "expirationTime": null,
            "keys": {"p256dh": b64url(public.as_bytes()), "auth": b64url(&auth)},
        });
        Browser {
            token: token.to_string(),
            private_key: b64url(&key.to_bytes()),
            auth: b64url(&auth),
        }
    }

    /// The answers for the next messages to `/push/{name}`, in order.
    pub fn script(&self, name: &str, answers: &[Answer]) {
        self.lock()
            .scripts
            .insert(name.to_owned(), answers.iter().cloned().collect());
    }

    /// Every request received, in order.
    pub fn messages(&self) -> Vec<Message> {
        self.lock().messages.clone()
    }

    pub fn messages_to(&self, name: &str) -> Vec<Message> {
        let all = self.messages();
        all.into_iter().filter(|m| m.subscription == name).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }
}

impl Drop for WebPushServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(s): State<Shared>,
    Path(subscription): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let headers: HashMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let vapid = check_vapid(&s.origin, headers.get("authorization").map(String::as_str));
    let mut inner = s.inner.lock().unwrap();
    inner.messages.push(Message {
        subscription: subscription.clone(),
        headers: headers.clone(),
        body: body.to_vec(),
        vapid: vapid.clone(),
    });
    let n = inner.messages.len();
    if vapid.is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    if headers.get("content-encoding").map(String::as_str) != Some("aes128gcm")
        || !headers.contains_key("ttl")
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let answer = inner
        .scripts
        .get_mut(&subscription)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Answer::Created);
    match answer {
        Answer::Created => (
            StatusCode::CREATED,
            [("location", format!("{}/message/{n}", s.origin))],
        )
            .into_response(),
        Answer::NotFound => StatusCode::NOT_FOUND.into_response(),
        Answer::Gone => StatusCode::GONE.into_response(),
        Answer::TooLarge => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        Answer::TooManyRequests(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
        )
            .into_response(),
    }
}

/// `vapid t=<JWT>, k=<key>`: the JWT is ES256, signed by `k`, for this origin, not expired and
/// for at most 24 hours, with a contact. Returns `k`.
fn check_vapid(origin: &str, authorization: Option<&str>) -> Result<String, String> {
    use p256::ecdsa::signature::Verifier;
    let value = authorization
        .and_then(|a| a.strip_prefix("vapid "))
        .ok_or("no vapid authorization")?;
    let mut t = None;
    let mut k = None;
    for part in value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("k", v)) => k = Some(v),
            _ => {}
        }
    }
    let (t, k) = (t.ok_or("no t=")?, k.ok_or("no k=")?);
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&unb64url(k)?)
        .map_err(|_| "k= is not a P-256 key")?;
    let parts: Vec<&str> = t.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("t= is not a compact JWS".into());
    };
    let signature =
        p256::ecdsa::Signature::from_slice(&unb64url(signature)?).map_err(|_| "bad signature")?;
    key.verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| "the signature does not verify with k=")?;
    let header: Value = serde_json::from_slice(&unb64url(header)?).map_err(|e| e.to_string())?;
    let claims: Value = serde_json::from_slice(&unb64url(claims)?).map_err(|e| e.to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = claims["exp"].as_u64().unwrap_or(0);
    if header["alg"] != "ES256" {
        return Err(format!("alg {}", header["alg"]));
    }
    if claims["aud"] != origin {
        return Err(format!("aud {} is not {origin}", claims["aud"]));
    }
    if exp <= now || exp > now + 24 * 3600 {
        return Err("exp is past or more than 24 hours away".into());
    }
    if !claims["sub"]
        .as_str()
        .unwrap_or_default()
        .starts_with("mailto:")
    {
        return Err("no mailto: contact".into());
    }
    Ok(k.to_owned())
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64url(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| "not base64url".to_owned())
}
