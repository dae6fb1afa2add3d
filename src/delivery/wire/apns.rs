//! Apple Push Notification service, token-based (HTTP/2 provider API).
//!
//! A provider token is an ES256 JWT (header `kid` = key id, claims `iss` = team id, `iat`),
//! signed with the team's `.p8` key; Apple wants it renewed at least hourly and no more than
//! every 20 minutes, so one is reused for 50 minutes. Send: `POST {base}/3/device/{token}`
//! with `authorization: bearer …`, `apns-push-type: alert`, `apns-topic` (the bundle id),
//! `apns-id`, `apns-priority: 10`, `apns-expiration`, and a JSON payload of at most 4 KiB.
//!
//! | status, reason | outcome |
//! |---|---|
//! | 200 | accepted, the `apns-id` |
//! | 400 `BadDeviceToken`, `DeviceTokenNotForTopic` | permanent, dead token (a run of these after a configuration change means a wrong topic or environment) |
//! | 400 `BadTopic`, `MissingTopic`, `TopicDisallowed` | transient, configuration |
//! | 400 `IdleTimeout` | transient |
//! | other 400 | permanent: the request, not the token |
//! | 403 `ExpiredProviderToken`, `InvalidProviderToken`, `MissingProviderToken` | transient, credentials: mint a new provider token |
//! | other 403 (`Forbidden`, key id or environment mismatch, …), 404, 405 | transient, configuration |
//! | 410 `Unregistered`, `ExpiredToken` | permanent, dead token |
//! | 413 `PayloadTooLarge` | permanent |
//! | 429 `TooManyRequests`, `TooManyProviderTokenUpdates` | transient, after `Retry-After` |
//! | 500, 503 | transient |
use super::jwt::{Es256Key, KeyError};
use super::{code_text, ProviderOutcome};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The largest payload APNs accepts for an alert.
pub const MAX_PAYLOAD: usize = 4096;

/// Mints provider tokens for one key of one team.
#[derive(Debug)]
pub struct ProviderTokenSigner {
    key: Es256Key,
    key_id: String,
    team_id: String,
}

impl ProviderTokenSigner {
    /// From the `.p8` file's text, its key id and the team id (each a short identifier).
    pub fn new(key_pem: &str, key_id: &str, team_id: &str) -> Result<ProviderTokenSigner, String> {
        let plain = |value: &str, name: &str| {
            let value = value.trim();
            if value.is_empty()
                || value.len() > 32
                || !value.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                Err(format!(
                    "{name} must be Apple's 10-character identifier (letters and digits)"
                ))
            } else {
                Ok(value.to_owned())
            }
        };
        let key =
            Es256Key::from_pem(key_pem).map_err(|e: KeyError| format!("TOCSIN_APNS_KEY: {e}"))?;
        Ok(ProviderTokenSigner {
            key,
            key_id: plain(key_id, "TOCSIN_APNS_KEY_ID")?,
            team_id: plain(team_id, "TOCSIN_APNS_TEAM_ID")?,
        })
    }

    /// A provider token issued at `now` (Unix seconds).
    pub fn token(&self, now: u64) -> String {
        self.key.sign_jwt(
            Some(&self.key_id),
            &json!({ "iss": self.team_id, "iat": now }),
        )
    }

    /// The public half, to check tokens in tests and against a test server.
    pub fn public_key_uncompressed(&self) -> Vec<u8> {
        self.key.public_key_uncompressed()
    }
}

/// The provider token in use. Pure: every question takes `now` (Unix seconds).
#[derive(Debug, Default, Clone)]
pub struct ProviderTokenCache {
    current: Option<(String, u64)>,
}

impl ProviderTokenCache {
    /// A token is replaced this long after it was issued (Apple refuses it after 60 minutes
    /// and refuses renewals more often than every 20).
    pub const REUSE_FOR: u64 = 50 * 60;

    /// The token to use at `now`, if the one held is young enough.
    pub fn get(&self, now: u64) -> Option<&str> {
        self.current
            .as_ref()
            .filter(|(_, issued)| now >= *issued && now < issued + Self::REUSE_FOR)
            .map(|(token, _)| token.as_str())
    }

    pub fn needs_refresh(&self, now: u64) -> bool {
        self.get(now).is_none()
    }

    pub fn store(&mut self, token: String, issued_at: u64) {
        self.current = Some((token, issued_at));
    }

    /// Forgets the token (after `ExpiredProviderToken` or `InvalidProviderToken`).
    pub fn invalidate(&mut self) {
        self.current = None;
    }

    /// The token to use at `now`, minting and keeping a new one when needed.
    pub fn current(&mut self, signer: &ProviderTokenSigner, now: u64) -> &str {
        if self.needs_refresh(now) {
            self.store(signer.token(now), now);
        }
        self.current
            .as_ref()
            .map(|(t, _)| t.as_str())
            .unwrap_or_default()
    }
}

/// The request URL for a device. The token goes into the path, so it must be hexadecimal.
pub fn request_url(base: &str, device_token: &str) -> Result<String, String> {
    let token = device_token.trim();
    if token.len() < 32 || token.len() > 200 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the APNs device token is not a hexadecimal device token".into());
    }
    Ok(format!("{}/3/device/{token}", base.trim_end_matches('/')))
}

/// The `apns-id` for a delivery: derived from its idempotency key, so a retry carries the same
/// id (the first 16 bytes of SHA-256 as a version-8 UUID, in lower-case canonical form).
pub fn apns_id(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The request headers other than `:path` and `content-type`.
pub fn headers(
    provider_token: &str,
    topic: &str,
    apns_id: &str,
    expires_at: u64,
) -> Vec<(&'static str, String)> {
    vec![
        ("authorization", format!("bearer {provider_token}")),
        ("apns-push-type", "alert".to_owned()),
        ("apns-topic", topic.to_owned()),
        ("apns-id", apns_id.to_owned()),
        ("apns-priority", "10".to_owned()),
        ("apns-expiration", expires_at.to_string()),
    ]
}

/// The alert payload. When it would pass 4 KiB, the body is shortened (with `…`) to fit; the
/// title and link are never cut, so a title and link that alone do not fit are an error.
pub fn payload(title: &str, body: &str, link: &str) -> Result<Vec<u8>, String> {
    let build = |body: &str| {
        json!({
            "aps": { "alert": { "title": title, "body": body }, "sound": "default" },
            "url": link,
        })
        .to_string()
        .into_bytes()
    };
    super::shorten_to_fit(body, MAX_PAYLOAD, build)
        .ok_or_else(|| "the push title and link alone exceed APNs' 4 KiB payload".into())
}

/// Classifies an APNs answer: its status, `apns-id` header, JSON body and `Retry-After`.
pub fn classify_send(
    status: u16,
    apns_id: Option<&str>,
    body: &[u8],
    retry_after: Option<Duration>,
) -> ProviderOutcome {
    if status == 200 {
        return ProviderOutcome::accepted(apns_id.unwrap_or_default());
    }
    #[derive(serde::Deserialize)]
    struct Refusal {
        reason: Option<String>,
    }
    let reason_code = serde_json::from_slice::<Refusal>(body)
        .ok()
        .and_then(|r| r.reason)
        .unwrap_or_default();
    let reason = |text: &str| format!("apns {status} {}: {text}", code_text(&reason_code));
    match (status, reason_code.as_str()) {
        (400, "BadDeviceToken") => ProviderOutcome::dead_token(reason("not a valid device token")),
        (400, "DeviceTokenNotForTopic") => {
            ProviderOutcome::dead_token(reason("the device token is for another app"))
        }
        (400, "BadTopic" | "MissingTopic" | "TopicDisallowed") => {
            ProviderOutcome::configuration(reason("check TOCSIN_APNS_TOPIC"))
        }
        (400, "IdleTimeout") => ProviderOutcome::transient(reason("idle timeout"), None),
        (400, _) => ProviderOutcome::permanent(reason("request refused")),
        (403, "ExpiredProviderToken" | "InvalidProviderToken" | "MissingProviderToken") => {
            ProviderOutcome::credentials(reason("provider token refused"))
        }
        (403..=405, _) => ProviderOutcome::configuration(reason(
            "check the APNs URL, key id, team id and environment",
        )),
        (410, _) => ProviderOutcome::dead_token(reason("the device token is no longer active")),
        (413, _) => ProviderOutcome::permanent(reason("payload too large")),
        (429, _) => ProviderOutcome::transient(reason("too many requests"), retry_after),
        (500..=599, _) => ProviderOutcome::transient(reason("service unavailable"), retry_after),
        _ => ProviderOutcome::from_status("apns", status, retry_after),
    }
}

#[cfg(test)]
#[path = "apns_tests.rs"]
mod tests;
