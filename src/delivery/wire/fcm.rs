//! Firebase Cloud Messaging, HTTP v1.
//!
//! Credentials: a Google service-account JSON (`project_id`, `client_email`, `private_key`,
//! `token_uri`, used as given). Its key signs an RS256 assertion (iss = client_email, scope =
//! firebase.messaging, aud = token_uri, one hour), exchanged at `token_uri` for an access token
//! (RFC 7523 JWT bearer grant). Send: `POST {base}/v1/projects/{project}/messages:send` with
//! `Authorization: Bearer …`; errors are a `google.rpc.Status` whose `details` may hold an
//! `FcmError` (`errorCode`) and a `BadRequest` (`fieldViolations`).
//!
//! | answer | outcome |
//! |---|---|
//! | 200 `{"name": …}` | accepted, the message name |
//! | `UNREGISTERED` (404) | permanent, dead token: the app instance is gone |
//! | `INVALID_ARGUMENT` (400) about the token (a `message.token` field violation, or "registration token" in the message, as FCM documents its invalid-token answer) | permanent, dead token |
//! | other `INVALID_ARGUMENT` (size, data keys, …) | permanent: our message, not the token |
//! | `SENDER_ID_MISMATCH` (403) | permanent, dead token: FCM documents the token as tied to other senders, so it never works for this project (a whole run of these means the wrong credentials file) |
//! | `QUOTA_EXCEEDED` (429), `UNAVAILABLE` (503) | transient, after `Retry-After` |
//! | `INTERNAL` (500), other 5xx | transient |
//! | `THIRD_PARTY_AUTH_ERROR` (401) | transient, configuration: the project's APNs or Web Push credentials are invalid |
//! | `UNAUTHENTICATED` (401) | transient, credentials: fetch a new access token |
//! | `PERMISSION_DENIED` (403), `NOT_FOUND` without `UNREGISTERED` | transient, configuration: the service account or project id is wrong |
use super::jwt::{KeyError, Rs256Key};
use super::{code_text, ProviderOutcome};
use serde_json::json;
use std::time::Duration;

/// The OAuth2 scope for sending messages.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// RFC 7523's grant type.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// How long an assertion is valid (Google accepts at most one hour).
pub const ASSERTION_LIFETIME: u64 = 3600;

/// A Google service account, loaded from its JSON file.
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub token_uri: String,
    pub private_key_id: Option<String>,
    key: Rs256Key,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct AccountFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    project_id: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

impl ServiceAccount {
    /// Reads the service-account JSON. Errors name the missing or wrong field, never a value.
    pub fn from_json(text: &str) -> Result<ServiceAccount, String> {
        // serde's message may quote a value, so only the line is reported.
        let file: AccountFile = serde_json::from_str(text).map_err(|e| {
            format!(
                "the FCM credentials are not a service-account JSON object (line {})",
                e.line()
            )
        })?;
        if let Some(kind) = file.kind.as_deref() {
            if kind != "service_account" {
                return Err(format!(
                    "the FCM credentials are of type '{}', not a service account",
                    code_text(kind)
                ));
            }
        }
        let field = |value: Option<String>, name: &str| {
            value
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("the FCM credentials have no '{name}'"))
        };
        let project_id = field(file.project_id, "project_id")?;
        if !project_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b':')
        {
            return Err("the FCM credentials' project_id is not a project id".into());
        }
        let token_uri = field(file.token_uri, "token_uri")?;
        if !token_uri.starts_with("https://") && !token_uri.starts_with("http://") {
            return Err("the FCM credentials' token_uri is not an http(s) URL".into());
        }
        let client_email = field(file.client_email, "client_email")?;
        let key = Rs256Key::from_pem(&field(file.private_key, "private_key")?)
            .map_err(|e| format!("the FCM credentials' private_key: {e}"))?;
        Ok(ServiceAccount {
            project_id,
            client_email,
            token_uri,
            private_key_id: file.private_key_id.filter(|k| !k.is_empty()),
            key,
        })
    }

    /// The signed assertion for the token exchange, issued at `now` (Unix seconds).
    pub fn assertion(&self, now: u64) -> Result<String, KeyError> {
        let claims = json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        });
        self.key.sign_jwt(self.private_key_id.as_deref(), &claims)
    }

    /// The form to `POST` to `token_uri`.
    pub fn token_request_form(&self, now: u64) -> Result<Vec<(&'static str, String)>, KeyError> {
        Ok(vec![
            ("grant_type", GRANT_TYPE.to_owned()),
            ("assertion", self.assertion(now)?),
        ])
    }

    /// Where messages are sent.
    pub fn send_url(&self, base: &str) -> String {
        format!(
            "{}/v1/projects/{}/messages:send",
            base.trim_end_matches('/'),
            self.project_id
        )
    }
}

/// An OAuth2 access token and when it expires (Unix seconds).
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: u64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccessToken(… expires_at {})", self.expires_at)
    }
}

/// Reads the token endpoint's answer. A refusal is returned as the outcome the deliveries
/// waiting on it should get: a rejected assertion is configuration, a server error transient.
pub fn parse_token_response(
    status: u16,
    body: &[u8],
    now: u64,
    retry_after: Option<Duration>,
) -> Result<AccessToken, ProviderOutcome> {
    #[derive(serde::Deserialize)]
    struct Granted {
        access_token: String,
        expires_in: Option<u64>,
    }
    #[derive(serde::Deserialize)]
    struct Refused {
        error: String,
    }
    if (200..300).contains(&status) {
        return match serde_json::from_slice::<Granted>(body) {
            Ok(granted) if !granted.access_token.is_empty() => Ok(AccessToken {
                token: granted.access_token,
                expires_at: now + granted.expires_in.unwrap_or(3600),
            }),
            _ => Err(ProviderOutcome::transient(
                format!("fcm oauth: HTTP {status} without an access token"),
                None,
            )),
        };
    }
    if status == 429 || status >= 500 {
        return Err(ProviderOutcome::from_status(
            "fcm oauth",
            status,
            retry_after,
        ));
    }
    let code = serde_json::from_slice::<Refused>(body)
        .map(|r| code_text(&r.error))
        .unwrap_or_else(|_| format!("HTTP {status}"));
    Err(ProviderOutcome::configuration(format!(
        "fcm oauth: the service account was refused ({code})"
    )))
}

/// The access token in use, and when to get a new one. Pure: every question takes `now`.
#[derive(Debug, Default, Clone)]
pub struct TokenCache {
    current: Option<AccessToken>,
}

impl TokenCache {
    /// A token is replaced this long before it expires, so none expires in flight.
    pub const MARGIN: u64 = 300;

    /// The token to use at `now`, if there is one that is not about to expire.
    pub fn get(&self, now: u64) -> Option<&str> {
        self.current
            .as_ref()
            .filter(|t| now + Self::MARGIN < t.expires_at)
            .map(|t| t.token.as_str())
    }

    pub fn needs_refresh(&self, now: u64) -> bool {
        self.get(now).is_none()
    }

    pub fn store(&mut self, token: AccessToken) {
        self.current = Some(token);
    }

    /// Forgets the token (after a 401), so the next send fetches a new one.
    pub fn invalidate(&mut self) {
        self.current = None;
    }
}

/// The `messages:send` body: a notification, the notice link as data, delivered at once.
pub fn send_body(token: &str, title: &str, body: &str, link: &str) -> serde_json::Value {
    json!({
        "message": {
            "token": token,
            "notification": { "title": title, "body": body },
            "data": { "url": link },
            "android": { "priority": "HIGH" },
            "apns": { "headers": { "apns-priority": "10", "apns-push-type": "alert" } },
        }
    })
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: Status,
}

#[derive(serde::Deserialize)]
struct Status {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Detail>,
}

#[derive(serde::Deserialize)]
struct Detail {
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
    #[serde(rename = "fieldViolations", default)]
    field_violations: Vec<FieldViolation>,
}

#[derive(serde::Deserialize)]
struct FieldViolation {
    #[serde(default)]
    field: String,
}

/// Classifies the answer to `messages:send`; `retry_after` is the parsed header, if any.
pub fn classify_send(status: u16, body: &[u8], retry_after: Option<Duration>) -> ProviderOutcome {
    if (200..300).contains(&status) {
        #[derive(serde::Deserialize)]
        struct Sent {
            name: String,
        }
        return match serde_json::from_slice::<Sent>(body) {
            Ok(sent) if !sent.name.is_empty() => ProviderOutcome::accepted(sent.name),
            _ => ProviderOutcome::transient(
                format!("fcm: HTTP {status} without a message name"),
                None,
            ),
        };
    }
    let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) else {
        return ProviderOutcome::from_status("fcm", status, retry_after);
    };
    let fcm_code = error.details.iter().find_map(|d| d.error_code.clone());
    let code = fcm_code.clone().unwrap_or_else(|| error.status.clone());
    let reason = |text: &str| format!("fcm {}: {text}", code_text(&code));
    match code.as_str() {
        "UNREGISTERED" => {
            ProviderOutcome::dead_token(reason("the app instance is no longer registered"))
        }
        "INVALID_ARGUMENT" => {
            let about_token = error
                .details
                .iter()
                .flat_map(|d| &d.field_violations)
                .any(|v| v.field == "message.token")
                || error
                    .message
                    .to_ascii_lowercase()
                    .contains("registration token");
            if about_token {
                ProviderOutcome::dead_token(reason("not a valid registration token"))
            } else {
                ProviderOutcome::permanent(reason("the message was refused"))
            }
        }
        "SENDER_ID_MISMATCH" => {
            ProviderOutcome::dead_token(reason("the token belongs to another sender"))
        }
        "QUOTA_EXCEEDED" | "RESOURCE_EXHAUSTED" => {
            ProviderOutcome::transient(reason("sending quota exceeded"), retry_after)
        }
        "UNAVAILABLE" => ProviderOutcome::transient(reason("service unavailable"), retry_after),
        "INTERNAL" => ProviderOutcome::transient(reason("internal error"), retry_after),
        "THIRD_PARTY_AUTH_ERROR" => ProviderOutcome::configuration(reason(
            "the project's APNs certificate or Web Push key is invalid or missing",
        )),
        "UNAUTHENTICATED" => ProviderOutcome::credentials(reason("the access token was refused")),
        "PERMISSION_DENIED" => ProviderOutcome::configuration(reason(
            "the service account may not send for this project",
        )),
        "NOT_FOUND" => ProviderOutcome::configuration(reason("project not found")),
        _ => {
            let mut outcome = ProviderOutcome::from_status("fcm", status, retry_after);
            if let ProviderOutcome::Permanent { reason, .. } = &mut outcome {
                reason.push_str(&format!(" ({})", code_text(&code)));
            }
            outcome
        }
    }
}

#[cfg(test)]
#[path = "fcm_tests.rs"]
mod tests;
