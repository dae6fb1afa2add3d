//! Web Push: RFC 8030 delivery, RFC 8291 message encryption, RFC 8292 VAPID.
//!
//! A subscription (as imported, `{"endpoint":…,"keys":{"p256dh":…,"auth":…}}`) names the push
//! service URL and the browser's keys. The payload is encrypted to those keys (`aes128gcm`: an
//! ephemeral P-256 ECDH, HKDF-SHA256, AES-128-GCM, one record) and `POST`ed to the endpoint with
//! `TTL`, `Urgency: high` and `Authorization: vapid t=<ES256 JWT>, k=<public key>`.
//!
//! Endpoints come from imported data, so they are only used when they point at a known push
//! service over https (or at an origin the operator listed): anything else would let an import
//! make this server send requests wherever it says.
//!
//! | status | outcome |
//! |---|---|
//! | 201, 202 (any 2xx) | accepted, the `Location` of the message |
//! | 404, 410 | permanent, dead subscription |
//! | 413 | permanent: payload too large |
//! | 429 | transient, after `Retry-After` |
//! | 5xx | transient |
//! | 401, 403 | transient, configuration: the VAPID key was refused |
//! | other 4xx | permanent |
use super::jwt::Es256Key;
use super::{b64url, b64url_decode, ProviderOutcome};
use hkdf::Hkdf;
use sha2::Sha256;
use std::time::Duration;
use url::Url;

/// Push services of the browsers that support Web Push: Chrome, Edge (Chromium), Opera and
/// Samsung Internet use FCM (older subscriptions `android.googleapis.com`); Firefox uses
/// Mozilla's autopush; Safari `web.push.apple.com`; legacy Edge Windows Push (WNS).
pub const KNOWN_PUSH_SERVICES: &[&str] = &[
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.push.apple.com",
    "*.notify.windows.com",
];

/// The largest plaintext one `aes128gcm` record of 4096 bytes carries after the 86-byte header,
/// the padding delimiter and the tag (RFC 8291 §4).
pub const MAX_PLAINTEXT: usize = 3993;

const RECORD_SIZE: u32 = 4096;

/// A browser's push subscription.
#[derive(Clone)]
pub struct Subscription {
    pub endpoint: Url,
    p256dh: p256::PublicKey,
    auth: [u8; 16],
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The endpoint's path is a bearer capability for this browser: only the host is shown.
        write!(
            f,
            "Subscription({}/…)",
            self.endpoint.host_str().unwrap_or("?")
        )
    }
}

impl Subscription {
    /// Reads an imported subscription token. Errors say what is missing or malformed, never
    /// the token's values.
    pub fn parse(token: &str) -> Result<Subscription, String> {
        #[derive(serde::Deserialize)]
        struct Keys {
            p256dh: Option<String>,
            auth: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            endpoint: Option<String>,
            keys: Option<Keys>,
        }
        let raw: Raw = serde_json::from_str(token).map_err(|_| {
            "the Web Push subscription is not JSON like {\"endpoint\":…,\"keys\":{\"p256dh\":…,\"auth\":…}}".to_owned()
        })?;
        let endpoint = raw
            .endpoint
            .ok_or("the Web Push subscription has no endpoint")?;
        let endpoint = Url::parse(&endpoint)
            .map_err(|_| "the Web Push subscription's endpoint is not a URL".to_owned())?;
        let keys = raw.keys.ok_or("the Web Push subscription has no keys")?;
        let p256dh = keys
            .p256dh
            .as_deref()
            .and_then(b64url_decode)
            .ok_or("the Web Push subscription has no base64url keys.p256dh")?;
        let p256dh = p256::PublicKey::from_sec1_bytes(&p256dh)
            .ok()
            .filter(|_| p256dh.len() == 65)
            .ok_or(
                "the Web Push subscription's keys.p256dh is not an uncompressed P-256 public key",
            )?;
        let auth = keys
            .auth
            .as_deref()
            .and_then(b64url_decode)
            .ok_or("the Web Push subscription has no base64url keys.auth")?;
        let auth: [u8; 16] = auth
            .try_into()
            .map_err(|_| "the Web Push subscription's keys.auth is not 16 bytes".to_owned())?;
        Ok(Subscription {
            endpoint,
            p256dh,
            auth,
        })
    }
}

/// Which endpoints may be sent to.
#[derive(Debug, Clone, Default)]
pub struct EndpointPolicy {
    extra: Vec<Allowed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    /// `host` or `*.domain`, over https on port 443.
    Host(String),
    /// An exact origin: scheme, host and port (how a test server on 127.0.0.1 is allowed).
    Origin(String, String, u16),
}

impl EndpointPolicy {
    /// The known push services plus `extra` entries: a host (`push.example.com`), a wildcard
    /// (`*.example.com`), or an origin (`http://127.0.0.1:8089`, the only way to allow http).
    pub fn new(extra: &[String]) -> Result<EndpointPolicy, String> {
        let parse = |entry: &String| -> Result<Allowed, String> {
            let entry = entry.trim().trim_end_matches('/');
            if entry.contains("://") {
                let url = Url::parse(entry)
                    .map_err(|_| format!("'{entry}' is not an origin like https://host:port"))?;
                match (url.scheme(), url.host_str(), url.port_or_known_default()) {
                    ("http" | "https", Some(host), Some(port)) if url.path() == "/" => Ok(
                        Allowed::Origin(url.scheme().to_owned(), host.to_owned(), port),
                    ),
                    _ => Err(format!("'{entry}' is not an http(s) origin without a path")),
                }
            } else {
                let host = entry.to_ascii_lowercase();
                let bare = host.strip_prefix("*.").unwrap_or(&host);
                if bare.is_empty()
                    || !bare.contains('.')
                    || !bare
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                {
                    return Err(format!("'{entry}' is not a host name or *.domain"));
                }
                Ok(Allowed::Host(host))
            }
        };
        Ok(EndpointPolicy {
            extra: extra.iter().map(parse).collect::<Result<_, _>>()?,
        })
    }

    /// Whether a subscription's endpoint may be sent to; the error is safe to log.
    pub fn check(&self, endpoint: &Url) -> Result<(), String> {
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return Err("Web Push endpoint with credentials in its URL refused".into());
        }
        let host = endpoint.host_str().unwrap_or_default().to_ascii_lowercase();
        let port = endpoint.port_or_known_default();
        let https_443 = endpoint.scheme() == "https" && port == Some(443);
        let host_matches = |pattern: &str| match pattern.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == pattern,
        };
        let listed = self.extra.iter().any(|allowed| match allowed {
            Allowed::Host(pattern) => https_443 && host_matches(pattern),
            Allowed::Origin(scheme, h, p) => {
                endpoint.scheme() == scheme && host == *h && port == Some(*p)
            }
        });
        let known = https_443 && KNOWN_PUSH_SERVICES.iter().any(|p| host_matches(p));
        if known || listed {
            Ok(())
        } else {
            Err(format!(
                "Web Push endpoint refused: {}://{host} is not a known push service over https (list it in the Web Push allow-list if it is one)",
                endpoint.scheme()
            ))
        }
    }
}

/// Encrypts `plaintext` for a subscription with a fresh ephemeral key and salt.
pub fn encrypt(subscription: &Subscription, plaintext: &[u8]) -> Result<Vec<u8>, String> {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
    encrypt_with(subscription, plaintext, &Es256Key::generate(), salt)
}

/// RFC 8291 with a given application-server key and salt (the RFC's example fixes both).
pub(crate) fn encrypt_with(
    subscription: &Subscription,
    plaintext: &[u8],
    ephemeral: &Es256Key,
    salt: [u8; 16],
) -> Result<Vec<u8>, String> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use ring::aead;
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(format!(
            "a Web Push payload carries at most {MAX_PLAINTEXT} bytes, this one has {}",
            plaintext.len()
        ));
    }
    let ua_public = subscription.p256dh.to_encoded_point(false);
    let as_public = ephemeral.public_key_uncompressed();
    let shared = p256::ecdh::diffie_hellman(
        ephemeral.secret().to_nonzero_scalar(),
        subscription.p256dh.as_affine(),
    );

    // IKM = HKDF(auth, ecdh_secret, "WebPush: info" 0x00 ua_public as_public, 32)
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public.as_bytes());
    key_info.extend_from_slice(&as_public);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(
        Some(&subscription.auth),
        shared.raw_secret_bytes().as_slice(),
    )
    .expand(&key_info, &mut ikm)
    .map_err(|_| "HKDF expansion failed")?;
    let prk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|_| prk.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| "HKDF expansion failed")?;

    // One record: the plaintext, then the last-record delimiter 0x02, no padding.
    let mut record = Vec::with_capacity(plaintext.len() + 17);
    record.extend_from_slice(plaintext);
    record.push(2);
    let key = aead::UnboundKey::new(&aead::AES_128_GCM, &cek)
        .map(aead::LessSafeKey::new)
        .map_err(|_| "AES-128-GCM key setup failed")?;
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::empty(),
        &mut record,
    )
    .map_err(|_| "AES-128-GCM encryption failed")?;

    // RFC 8188 header: salt, record size, key id length, key id (the ephemeral public key).
    let mut body = Vec::with_capacity(86 + record.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&record);
    Ok(body)
}

/// The JSON the service worker shows: title, body and the notice link, shortened to fit.
pub fn notification_payload(title: &str, body: &str, link: &str) -> Result<Vec<u8>, String> {
    let build = |body: &str| {
        serde_json::json!({ "title": title, "body": body, "url": link })
            .to_string()
            .into_bytes()
    };
    super::shorten_to_fit(body, MAX_PLAINTEXT, build)
        .ok_or_else(|| "the push title and link alone exceed a Web Push payload".into())
}

/// The application server's VAPID identity (RFC 8292).
#[derive(Debug)]
pub struct Vapid {
    key: Es256Key,
    subject: String,
}

impl Vapid {
    /// How long a VAPID token is valid (RFC 8292 allows at most 24 hours).
    pub const LIFETIME: u64 = 12 * 3600;

    /// From `TOCSIN_VAPID_KEY` (PEM or base64url P-256) and `TOCSIN_VAPID_SUBJECT`.
    pub fn new(key: &str, subject: &str) -> Result<Vapid, String> {
        let key = Es256Key::parse(key).map_err(|e| format!("TOCSIN_VAPID_KEY: {e}"))?;
        let subject = subject.trim();
        if !(subject.starts_with("mailto:") || subject.starts_with("https://"))
            || subject.len() < 10
        {
            return Err("TOCSIN_VAPID_SUBJECT must be a mailto: or https: contact".into());
        }
        Ok(Vapid {
            key,
            subject: subject.to_owned(),
        })
    }

    /// The public key (base64url, uncompressed): the `applicationServerKey` browsers subscribe with.
    pub fn public_key(&self) -> String {
        b64url(&self.key.public_key_uncompressed())
    }

    /// `vapid t=…, k=…` for a request to `endpoint` at `now` (Unix seconds).
    pub fn authorization(&self, endpoint: &Url, now: u64) -> String {
        let claims = serde_json::json!({
            "aud": endpoint.origin().ascii_serialization(),
            "exp": now + Self::LIFETIME,
            "sub": self.subject,
        });
        format!(
            "vapid t={}, k={}",
            self.key.sign_jwt(None, &claims),
            self.public_key()
        )
    }
}

/// The request headers besides `content-length`.
pub fn headers(authorization: &str, ttl_seconds: u32) -> Vec<(&'static str, String)> {
    vec![
        ("authorization", authorization.to_owned()),
        ("ttl", ttl_seconds.to_string()),
        ("urgency", "high".to_owned()),
        ("content-encoding", "aes128gcm".to_owned()),
        ("content-type", "application/octet-stream".to_owned()),
    ]
}

/// Classifies a push service's answer: status, `Location` header, `Retry-After`.
pub fn classify_send(
    status: u16,
    location: Option<&str>,
    retry_after: Option<Duration>,
) -> ProviderOutcome {
    let reason = |text: &str| format!("web push {status}: {text}");
    match status {
        200..=299 => ProviderOutcome::accepted(location.unwrap_or_default()),
        404 | 410 => {
            ProviderOutcome::dead_token(reason("the subscription has expired or was removed"))
        }
        413 => ProviderOutcome::permanent(reason("payload too large")),
        429 => ProviderOutcome::transient(reason("too many requests"), retry_after),
        500..=599 => ProviderOutcome::transient(reason("push service error"), retry_after),
        401 | 403 => ProviderOutcome::configuration(reason("the VAPID key was refused")),
        _ => ProviderOutcome::from_status("web push", status, retry_after),
    }
}

#[cfg(test)]
#[path = "webpush_tests.rs"]
mod tests;
