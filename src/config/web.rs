//! Settings of the HTTP surface: how long a client may take, how many requests run at once,
//! how long a console session lives, and the optional token in front of `/metrics`.
use super::ConfigError;
use std::time::Duration;

#[derive(Clone)]
pub struct WebSettings {
    /// A client must send a request's whole head within this (`TOCSIN_HEADER_TIMEOUT_SECS`,
    /// 10); an idle keep-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// The longest pause between two parts of a request body (`TOCSIN_BODY_TIMEOUT_SECS`, 30).
    pub body_timeout: Duration,
    /// The longest a request may take to answer (`TOCSIN_REQUEST_TIMEOUT_SECS`, 60); the
    /// subjects import, which streams any size, is exempt (the body timeout still holds).
    pub request_timeout: Duration,
    /// Requests handled at once by this process (`TOCSIN_MAX_CONCURRENT_REQUESTS`, 256); more
    /// wait for a free slot.
    pub max_concurrent_requests: usize,
    /// A console session not used for this long ends (`TOCSIN_SESSION_IDLE_MINUTES`, 30).
    pub session_idle: chrono::Duration,
    /// A console session ends this long after sign-in however it is used
    /// (`TOCSIN_SESSION_MAX_HOURS`, 12).
    pub session_max: chrono::Duration,
    /// When set, `/metrics` wants `Authorization: Bearer <this>` (`TOCSIN_METRICS_TOKEN`).
    pub metrics_token: Option<String>,
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("session_idle", &self.session_idle)
            .field("session_max", &self.session_max)
            // A secret: only whether it is set.
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl WebSettings {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<WebSettings, ConfigError> {
        let number = |var: &'static str, default: u64, min: u64, max: u64| {
            let v = get(var).filter(|v| !v.trim().is_empty());
            match v {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|x| (min..=max).contains(x))
                    .ok_or_else(|| ConfigError {
                        var,
                        message: format!("'{v}' is not a whole number from {min} to {max}"),
                    }),
            }
        };
        let secs = |var, default, max| number(var, default, 1, max).map(Duration::from_secs);
        let metrics_token = match get("TOCSIN_METRICS_TOKEN") {
            None => None,
            Some(t) if t.trim().is_empty() => None,
            Some(t) if t.trim().len() < 16 => {
                return Err(ConfigError {
                    var: "TOCSIN_METRICS_TOKEN",
                    message: "must be at least 16 characters".into(),
                })
            }
            Some(t) => Some(t.trim().to_owned()),
        };
        Ok(WebSettings {
            header_timeout: secs("TOCSIN_HEADER_TIMEOUT_SECS", 10, 600)?,
            body_timeout: secs("TOCSIN_BODY_TIMEOUT_SECS", 30, 3600)?,
            request_timeout: secs("TOCSIN_REQUEST_TIMEOUT_SECS", 60, 3600)?,
            max_concurrent_requests: number("TOCSIN_MAX_CONCURRENT_REQUESTS", 256, 1, 100_000)?
                as usize,
            session_idle: chrono::Duration::minutes(number(
                "TOCSIN_SESSION_IDLE_MINUTES",
                30,
                1,
                7 * 24 * 60,
            )? as i64),
            session_max: chrono::Duration::hours(
                number("TOCSIN_SESSION_MAX_HOURS", 12, 1, 30 * 24)? as i64,
            ),
            metrics_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values() {
        let w = WebSettings::from_lookup(&|_| None).unwrap();
        assert_eq!(w.header_timeout, Duration::from_secs(10));
        assert_eq!(w.session_idle, chrono::Duration::minutes(30));
        assert!(w.metrics_token.is_none());
        let e = WebSettings::from_lookup(&|k| {
            (k == "TOCSIN_HEADER_TIMEOUT_SECS").then(|| "0".to_string())
        })
        .unwrap_err();
        assert_eq!(e.var, "TOCSIN_HEADER_TIMEOUT_SECS");
        let secret = "short";
        let e = WebSettings::from_lookup(&|k| {
            (k == "TOCSIN_METRICS_TOKEN").then(|| secret.to_string())
        })
        .unwrap_err();
        assert!(!e.to_string().contains(secret));
        let w = WebSettings::from_lookup(&|k| {
            (k == "TOCSIN_METRICS_TOKEN").then(|| "a-long-enough-token".to_string())
        })
        .unwrap();
        assert!(!format!("{w:?}").contains("a-long-enough-token"));
    }
}
