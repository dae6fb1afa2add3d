//! What goes over the wire to SMS and push providers, and what their answers mean.
//!
//! Pure building blocks, no I/O and no application state: each provider module builds request
//! pieces (URLs, headers, bodies, signed tokens) and classifies one response into a
//! [`ProviderOutcome`]. The SMS and push channels put them on an HTTP client.
//!
//! - [`sms_text`]: GSM 03.38 / UCS-2 detection, segment counting, fitting a notice into N segments.
//! - [`twilio`]: the Messages API form, its errors, status callbacks and their signature.
//! - [`jwt`]: compact JWS (RS256, ES256) and the PEM key files they are signed with.
//! - [`fcm`]: service-account OAuth2 and FCM HTTP v1 send.
//! - [`apns`]: provider tokens and the APNs HTTP/2 request.
//! - [`webpush`]: RFC 8291 encryption, RFC 8292 VAPID, the endpoint allow-list.
//!
//! Reasons never carry personal data: no phone number, token or provider message text (those
//! may echo the number); only status codes, provider error codes and fixed wording.
use std::time::{Duration, SystemTime};

pub mod apns;
pub mod fcm;
pub mod jwt;
pub mod sms_text;
pub mod twilio;
pub mod webpush;

/// What one provider response means for the delivery it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderOutcome {
    /// The provider took the message; its id is kept as evidence and to match callbacks.
    Accepted { provider_id: String },
    /// Worth trying again later (no sooner than `retry_after` when the provider said so).
    /// `fault` says whose problem it is, so a configuration error never makes people
    /// unreachable: it is retried like an outage, and raised to an operator.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
        fault: Fault,
    },
    /// This message will never be delivered this way. `dead_token` says the address itself
    /// (number, device token, subscription) is gone, so it should not be used again.
    Permanent { reason: String, dead_token: bool },
}

/// Whose problem a transient failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The provider or the network: retry with backoff.
    Provider,
    /// Our short-lived credential (OAuth2 access token, APNs provider token) was refused:
    /// drop the cached one and mint a new one before retrying; alarm if it persists.
    Credentials,
    /// Our account or configuration is wrong (bad key, revoked account, missing permission):
    /// nothing improves until an operator acts, so alarm now and keep the deliveries pending.
    Configuration,
}

impl ProviderOutcome {
    pub fn accepted(provider_id: impl Into<String>) -> Self {
        ProviderOutcome::Accepted {
            provider_id: provider_id.into(),
        }
    }

    pub fn transient(reason: impl Into<String>, retry_after: Option<Duration>) -> Self {
        ProviderOutcome::Transient {
            reason: reason.into(),
            retry_after,
            fault: Fault::Provider,
        }
    }

    pub fn credentials(reason: impl Into<String>) -> Self {
        ProviderOutcome::Transient {
            reason: reason.into(),
            retry_after: None,
            fault: Fault::Credentials,
        }
    }

    pub fn configuration(reason: impl Into<String>) -> Self {
        ProviderOutcome::Transient {
            reason: reason.into(),
            retry_after: None,
            fault: Fault::Configuration,
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        ProviderOutcome::Permanent {
            reason: reason.into(),
            dead_token: false,
        }
    }

    pub fn dead_token(reason: impl Into<String>) -> Self {
        ProviderOutcome::Permanent {
            reason: reason.into(),
            dead_token: true,
        }
    }

    /// The reason (empty for an accepted message).
    pub fn reason(&self) -> &str {
        match self {
            ProviderOutcome::Accepted { .. } => "",
            ProviderOutcome::Transient { reason, .. }
            | ProviderOutcome::Permanent { reason, .. } => reason,
        }
    }

    /// What to do with a status code alone, when the body says nothing more specific.
    pub fn from_status(provider: &str, status: u16, retry_after: Option<Duration>) -> Self {
        match status {
            200..=299 => ProviderOutcome::accepted(""),
            401 => {
                ProviderOutcome::credentials(format!("{provider}: HTTP 401, credentials refused"))
            }
            403 => ProviderOutcome::configuration(format!("{provider}: HTTP 403, not permitted")),
            408 => {
                ProviderOutcome::transient(format!("{provider}: HTTP 408, request timeout"), None)
            }
            429 => ProviderOutcome::transient(
                format!("{provider}: HTTP 429, rate limited"),
                retry_after,
            ),
            500..=599 => ProviderOutcome::transient(
                format!("{provider}: HTTP {status}, provider error"),
                retry_after,
            ),
            _ => ProviderOutcome::permanent(format!("{provider}: HTTP {status}, request refused")),
        }
    }
}

/// The longest wait a `Retry-After` can impose: a provider (or a proxy in front of it) asking
/// for more would stall a notification campaign, and the dispatcher's own backoff takes over.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 3600);

/// Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date (IMF-fixdate,
/// RFC 850 or asctime) turned into a delay from `now`. A date in the past means "now"; anything
/// unreadable is `None`; anything longer than [`MAX_RETRY_AFTER`] is clamped to it.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only; too many of them to fit is simply "very long".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// Renders `build(body)`, shortening `body` (cut on a character, `…` appended) until the result
/// is at most `max` bytes; `None` when even an empty body is too long. Push payloads use it so
/// the title and link arrive whole.
pub(crate) fn shorten_to_fit(
    body: &str,
    max: usize,
    build: impl Fn(&str) -> Vec<u8>,
) -> Option<Vec<u8>> {
    let whole = build(body);
    if whole.len() <= max {
        return Some(whole);
    }
    let cuts: Vec<usize> = body.char_indices().map(|(i, _)| i).collect();
    let with = |k: usize| build(&format!("{}…", body[..cuts[k]].trim_end()));
    // An empty body that is already too long cannot be shortened.
    if cuts.is_empty() || with(0).len() > max {
        return None;
    }
    // The size grows with the kept length: bisect for the longest that fits.
    let (mut lo, mut hi) = (0, cuts.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if with(mid).len() <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(with(lo))
}

/// Base64url without padding, as JOSE and the Web Push RFCs write keys and tokens.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Base64url, with or without padding (subscriptions and key files come both ways); also
/// accepts the standard alphabet, which some exporters write instead.
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let trimmed = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| STANDARD_NO_PAD.decode(trimmed))
        .ok()
}

/// A provider-supplied code (APNs reason, FCM error code, …) made safe for a reason string:
/// codes are short identifiers, so anything else is cut and replaced rather than echoed.
pub(crate) fn code_text(code: &str) -> String {
    let cleaned: String = code
        .chars()
        .take(48)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "(none)".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    // Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
    const RFC_DATE: u64 = 784_111_777;

    #[test]
    fn retry_after_in_seconds_is_read_as_a_delay() {
        assert_eq!(
            parse_retry_after("120", at(0)),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", at(0)), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_as_an_http_date_is_the_time_left_until_that_date() {
        let now = at(RFC_DATE - 90);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(form, now),
                Some(Duration::from_secs(90)),
                "{form}"
            );
        }
    }

    #[test]
    fn retry_after_in_the_past_means_retry_now() {
        let now = at(RFC_DATE + 3600);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn unreadable_retry_after_is_none() {
        for bad in [
            "",
            "soon",
            "-5",
            "1.5",
            "12 s",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, at(0)), None, "{bad:?}");
        }
    }

    #[test]
    fn very_long_retry_after_is_clamped() {
        assert_eq!(parse_retry_after("99999999", at(0)), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("184467440737095516160", at(0)),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn status_alone_classifies_auth_failures_as_ours_not_the_recipients() {
        let unauthorised = ProviderOutcome::from_status("x", 401, None);
        assert!(matches!(
            unauthorised,
            ProviderOutcome::Transient {
                fault: Fault::Credentials,
                ..
            }
        ));
        let forbidden = ProviderOutcome::from_status("x", 403, None);
        assert!(matches!(
            forbidden,
            ProviderOutcome::Transient {
                fault: Fault::Configuration,
                ..
            }
        ));
        let limited = ProviderOutcome::from_status("x", 429, Some(Duration::from_secs(7)));
        assert_eq!(
            limited,
            ProviderOutcome::Transient {
                reason: "x: HTTP 429, rate limited".into(),
                retry_after: Some(Duration::from_secs(7)),
                fault: Fault::Provider
            }
        );
        assert!(matches!(
            ProviderOutcome::from_status("x", 503, None),
            ProviderOutcome::Transient {
                fault: Fault::Provider,
                ..
            }
        ));
        assert_eq!(
            ProviderOutcome::from_status("x", 400, None),
            ProviderOutcome::permanent("x: HTTP 400, request refused")
        );
    }

    #[test]
    fn provider_codes_in_reasons_cannot_smuggle_text() {
        assert_eq!(code_text("BadDeviceToken"), "BadDeviceToken");
        assert_eq!(code_text("+1 555 0100"), "?1?555?0100");
        assert_eq!(code_text(""), "(none)");
        assert_eq!(code_text(&"A".repeat(100)).len(), 48);
    }

    #[test]
    fn base64url_reads_padded_unpadded_and_standard_alphabets() {
        let bytes = [0xfb, 0xff, 0x01];
        assert_eq!(b64url(&bytes), "-_8B");
        assert_eq!(b64url_decode("-_8B"), Some(bytes.to_vec()));
        assert_eq!(b64url_decode("+/8B"), Some(bytes.to_vec()));
        assert_eq!(b64url_decode("AQ=="), Some(vec![1]));
        assert_eq!(b64url_decode("not base64!"), None);
    }
}
