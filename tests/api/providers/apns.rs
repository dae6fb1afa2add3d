//! A local APNs: HTTP/2 only, over TLS with a certificate from a CA made on the spot (rcgen),
//! checking the ES256 provider token (key id, team id, age) and `apns-topic` as Apple does, and
//! answering 200 with `apns-id`, or Apple's `{"reason": …}` errors. Scripted per device token;
//! unscripted sends are accepted.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;

pub const TEAM_ID: &str = "TEAM123456";
pub const KEY_ID: &str = "KEY987654A";
pub const TOPIC: &str = "com.example.tocsin";

/// What APNs answers one send.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    /// 400 `BadDeviceToken`.
    BadDeviceToken,
    /// 410 `Unregistered`, with the time the token stopped being valid.
    Unregistered,
    /// 429 `TooManyRequests`.
    TooManyRequests,
    /// 500 `InternalServerError`.
    InternalServerError,
}

/// One request that passed the token and topic checks.
#[derive(Debug, Clone)]
pub struct Request {
    pub device_token: String,
    pub apns_id: String,
    pub push_type: String,
    pub priority: String,
    pub version: Version,
    pub payload: Value,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Request>,
    /// Apple's reason for each request refused before reaching a device.
    refusals: Vec<String>,
    scripts: HashMap<String, VecDeque<Answer>>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    key: p256::ecdsa::VerifyingKey,
}

pub struct ApnsServer {
    pub addr: SocketAddr,
    /// The `.p8` key for `TOCSIN_APNS_KEY`.
    pub key_file: PathBuf,
    /// The CA certificate for `TOCSIN_APNS_CA`.
    pub ca_file: PathBuf,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl ApnsServer {
    /// Starts on a free port; the key and CA files are written into `dir`.
    pub async fn start(dir: &FsPath) -> ApnsServer {
        let signing = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let key_file = dir.join("AuthKey_test.p8");
        std::fs::write(&key_file, signing.serialize_pem()).unwrap();
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(signing.public_key_raw()).unwrap();

        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Tocsin test CA");
        let ca = ca.self_signed(&ca_key).unwrap();
        let ca_file = dir.join("apns-ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        tls.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

        let shared = Shared {
            inner: Default::default(),
            key,
        };
        let app = Router::new()
            .route("/3/device/{token}", post(push))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    // HTTP/2 only, as APNs: a client speaking HTTP/1.1 gets nothing.
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(tls),
                        hyper_util::service::TowerToHyperService::new(app),
                    )
                    .await;
                });
            }
        });
        ApnsServer {
            addr,
            key_file,
            ca_file,
            shared,
            task,
        }
    }

    /// The base URL, by the name the certificate carries.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// The answers for the next sends to `device_token`, in order.
    pub fn script(&self, device_token: &str, answers: &[Answer]) {
        self.lock()
            .scripts
            .insert(device_token.to_owned(), answers.iter().cloned().collect());
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    pub fn requests_to(&self, device_token: &str) -> Vec<Request> {
        let all = self.requests();
        all.into_iter()
            .filter(|r| r.device_token == device_token)
            .collect()
    }

    pub fn refusals(&self) -> Vec<String> {
        self.lock().refusals.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }
}

impl Drop for ApnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn push(
    State(s): State<Shared>,
    Path(device_token): Path<String>,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let refused = check_token(&s.key, header("authorization").as_deref())
        .and_then(|()| match header("apns-topic").as_deref() {
            None => Err((400, "MissingTopic")),
            Some(TOPIC) => Ok(()),
            Some(_) => Err((400, "TopicDisallowed")),
        })
        .and_then(|()| match header("apns-push-type").as_deref() {
            Some("alert") => Ok(()),
            _ => Err((400, "InvalidPushType")),
        });
    let apns_id = header("apns-id").unwrap_or_default();
    let canonical = uuid::Uuid::parse_str(&apns_id)
        .map(|u| u.hyphenated().to_string() == apns_id)
        .unwrap_or(false);
    let payload: Option<Value> = serde_json::from_slice(&body).ok();
    let refused = refused
        .and_then(|()| canonical.then_some(()).ok_or((400, "BadMessageId")))
        .and_then(|()| match &payload {
            Some(p) if p["aps"]["alert"].is_object() => Ok(()),
            _ => Err((400, "PayloadEmpty")),
        });
    let mut inner = s.inner.lock().unwrap();
    if let Err((status, reason)) = refused {
        inner.refusals.push(reason.to_owned());
        return reason_response(status, reason, None);
    }
    inner.requests.push(Request {
        device_token: device_token.clone(),
        apns_id: apns_id.clone(),
        push_type: header("apns-push-type").unwrap_or_default(),
        priority: header("apns-priority").unwrap_or_default(),
        version,
        payload: payload.unwrap_or_default(),
    });
    let answer = inner
        .scripts
        .get_mut(&device_token)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Answer::Accept);
    drop(inner);
    let mut response = match answer {
        Answer::Accept => StatusCode::OK.into_response(),
        Answer::BadDeviceToken => reason_response(400, "BadDeviceToken", None),
        Answer::Unregistered => reason_response(410, "Unregistered", Some(unix_now() * 1000)),
        Answer::TooManyRequests => reason_response(429, "TooManyRequests", None),
        Answer::InternalServerError => reason_response(500, "InternalServerError", None),
    };
    response
        .headers_mut()
        .insert("apns-id", apns_id.parse().unwrap());
    response
}

/// The provider token: `bearer` ES256 JWT with this key id, signed by the key, issued by the
/// team within the last hour.
fn check_token(
    key: &p256::ecdsa::VerifyingKey,
    authorization: Option<&str>,
) -> Result<(), (u16, &'static str)> {
    use p256::ecdsa::signature::Verifier;
    let invalid = (403, "InvalidProviderToken");
    let jwt = authorization
        .and_then(|a| a.strip_prefix("bearer "))
        .ok_or((403, "MissingProviderToken"))?;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(invalid);
    };
    let signature = p256::ecdsa::Signature::from_slice(&unb64url(signature).ok_or(invalid)?)
        .map_err(|_| invalid)?;
    key.verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| invalid)?;
    let json = |part: &str| -> Option<Value> { serde_json::from_slice(&unb64url(part)?).ok() };
    let (header, claims) = (json(header).ok_or(invalid)?, json(claims).ok_or(invalid)?);
    if header["alg"] != "ES256" || header["kid"] != KEY_ID || claims["iss"] != TEAM_ID {
        return Err(invalid);
    }
    let iat = claims["iat"].as_u64().ok_or(invalid)?;
    let now = unix_now();
    if iat > now + 60 {
        return Err(invalid);
    }
    if iat + 3600 < now {
        return Err((403, "ExpiredProviderToken"));
    }
    Ok(())
}

fn reason_response(status: u16, reason: &str, timestamp: Option<u64>) -> Response {
    let mut body = json!({ "reason": reason });
    if let Some(t) = timestamp {
        body["timestamp"] = json!(t);
    }
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

fn unb64url(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
