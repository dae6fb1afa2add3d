//! Settings of the SMS and push channels (`TOCSIN_SMS_*`, `TOCSIN_FCM_*`, `TOCSIN_APNS_*`,
//! `TOCSIN_VAPID_*`) and of delivery as a whole (segments, prices, rates). A provider left unset
//! means its notices go to JSON files under the outbox folder. Secrets never reach `Debug`.
use super::ConfigError;
use std::path::PathBuf;

/// A Twilio-compatible Messages API.
#[derive(Clone)]
pub struct SmsProvider {
    /// Base URL (`https://api.twilio.com`).
    pub url: url::Url,
    /// Account SID.
    pub account: String,
    /// Auth token: basic auth and the key of callback signatures.
    pub token: String,
    /// A number, or a messaging service (`MG…`).
    pub from: String,
}

impl std::fmt::Debug for SmsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmsProvider({}, account {})", self.url, self.account)
    }
}

/// FCM HTTP v1.
#[derive(Debug, Clone)]
pub struct FcmProvider {
    pub url: url::Url,
    /// A Google service-account JSON file.
    pub credentials: PathBuf,
}

/// APNs with a token-based (.p8) key.
#[derive(Debug, Clone)]
pub struct ApnsProvider {
    pub url: url::Url,
    pub key: PathBuf,
    pub key_id: String,
    pub team_id: String,
    pub topic: String,
    /// An extra root certificate (PEM), for a test server.
    pub ca: Option<PathBuf>,
}

/// Web Push with VAPID.
#[derive(Clone)]
pub struct VapidProvider {
    /// PEM or base64url P-256 private key.
    pub key: String,
    /// `mailto:…` or `https://…`.
    pub subject: String,
}

impl std::fmt::Debug for VapidProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VapidProvider({})", self.subject)
    }
}

#[derive(Debug, Clone)]
pub struct ChannelSettings {
    pub sms: Option<SmsProvider>,
    pub fcm: Option<FcmProvider>,
    pub apns: Option<ApnsProvider>,
    pub vapid: Option<VapidProvider>,
    /// Web Push endpoints allowed beyond the known push services (hosts, `*.domain`, or
    /// origins such as `http://127.0.0.1:8999`): `TOCSIN_WEBPUSH_ALLOW`, comma-separated.
    pub webpush_allow: Vec<String>,
    /// The most segments one SMS may take (`TOCSIN_SMS_MAX_SEGMENTS`, 3).
    pub sms_max_segments: usize,
    /// Price of one SMS segment, for the dispatch plan (`TOCSIN_SMS_PRICE`, 0).
    pub sms_price: f64,
    /// Messages per second per channel (`TOCSIN_RATE_EMAIL`, `_SMS`, `_PUSH`; 0: no limit).
    pub rate_email: u32,
    pub rate_sms: u32,
    pub rate_push: u32,
}

impl ChannelSettings {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &str| {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_owned())
        };
        let fail = |var: &'static str, message: String| ConfigError { var, message };
        let url = |var: &'static str, v: &str| {
            url::Url::parse(v)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| fail(var, format!("'{v}' is not an http(s) URL")))
        };
        // A provider is all its variables or none of them.
        let need = |var: &'static str, of: &'static str| {
            set(var).ok_or_else(|| fail(var, format!("must be set with {of}")))
        };

        let sms = match set("TOCSIN_SMS_URL") {
            None => None,
            Some(v) => Some(SmsProvider {
                url: url("TOCSIN_SMS_URL", &v)?,
                account: need("TOCSIN_SMS_ACCOUNT", "TOCSIN_SMS_URL")?,
                token: need("TOCSIN_SMS_TOKEN", "TOCSIN_SMS_URL")?,
                from: need("TOCSIN_SMS_FROM", "TOCSIN_SMS_URL")?,
            }),
        };
        let fcm = match set("TOCSIN_FCM_URL") {
            None => None,
            Some(v) => Some(FcmProvider {
                url: url("TOCSIN_FCM_URL", &v)?,
                credentials: need("TOCSIN_FCM_CREDENTIALS", "TOCSIN_FCM_URL")?.into(),
            }),
        };
        let apns = match set("TOCSIN_APNS_URL") {
            None => None,
            Some(v) => Some(ApnsProvider {
                url: url("TOCSIN_APNS_URL", &v)?,
                key: need("TOCSIN_APNS_KEY", "TOCSIN_APNS_URL")?.into(),
                key_id: need("TOCSIN_APNS_KEY_ID", "TOCSIN_APNS_URL")?,
                team_id: need("TOCSIN_APNS_TEAM_ID", "TOCSIN_APNS_URL")?,
                topic: need("TOCSIN_APNS_TOPIC", "TOCSIN_APNS_URL")?,
                ca: set("TOCSIN_APNS_CA").map(PathBuf::from),
            }),
        };
        let vapid = match set("TOCSIN_VAPID_KEY") {
            None => None,
            Some(key) => Some(VapidProvider {
                key,
                subject: need("TOCSIN_VAPID_SUBJECT", "TOCSIN_VAPID_KEY")?,
            }),
        };
        if let Some(v) = &vapid {
            if !(v.subject.starts_with("mailto:") || v.subject.starts_with("https://")) {
                return Err(fail(
                    "TOCSIN_VAPID_SUBJECT",
                    "must be a mailto: or https: contact (RFC 8292)".into(),
                ));
            }
        }
        let webpush_allow = set("TOCSIN_WEBPUSH_ALLOW")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let number = |var: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match set(var) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().ok().filter(|n| *n <= max).ok_or_else(|| {
                    fail(var, format!("'{v}' is not a whole number from 0 to {max}"))
                }),
            }
        };
        let sms_max_segments = number("TOCSIN_SMS_MAX_SEGMENTS", 3, 10)? as usize;
        if sms_max_segments == 0 {
            return Err(fail("TOCSIN_SMS_MAX_SEGMENTS", "must be at least 1".into()));
        }
        let sms_price = match set("TOCSIN_SMS_PRICE") {
            None => 0.0,
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| {
                    fail(
                        "TOCSIN_SMS_PRICE",
                        format!("'{v}' is not a price such as 0.0079"),
                    )
                })?,
        };
        Ok(ChannelSettings {
            sms,
            fcm,
            apns,
            vapid,
            webpush_allow,
            sms_max_segments,
            sms_price,
            rate_email: number("TOCSIN_RATE_EMAIL", 0, 1_000_000)? as u32,
            rate_sms: number("TOCSIN_RATE_SMS", 0, 1_000_000)? as u32,
            rate_push: number("TOCSIN_RATE_PUSH", 0, 1_000_000)? as u32,
        })
    }
}
