//! A one-time message shown on the page after a redirect ("Incident #3 opened"), carried in a
//! short-lived cookie. The cookie is signed with a key derived from the session's secret, which
//! only the browser holds, so no one else can plant a message; it is cleared when shown.
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub level: Level,
    pub text: String,
}

impl Flash {
    pub fn ok(text: impl Into<String>) -> Flash {
        Flash {
            level: Level::Ok,
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Flash {
        Flash {
            level: Level::Error,
            text: text.into(),
        }
    }
}

fn mac(secret: &str, body: &str) -> String {
    let key = Sha256::digest(format!("tocsin flash\0{secret}").as_bytes());
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key length");
    m.update(body.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// The cookie value for `flash`, signed for the session whose secret is `secret`.
pub fn encode(flash: &Flash, secret: &str) -> String {
    use base64::Engine as _;
    let text: String = flash.text.chars().take(300).collect();
    let body = format!(
        "{}.{}",
        flash.level.as_str(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    );
    let tag = mac(secret, &body);
    format!("{body}.{tag}")
}

/// The flash in a cookie value, if it was signed for this session.
pub fn decode(value: &str, secret: &str) -> Option<Flash> {
    use base64::Engine as _;
    let (body, tag) = value.rsplit_once('.')?;
    if mac(secret, body) != tag {
        return None;
    }
    let (level, text) = body.split_once('.')?;
    let level = match level {
        "ok" => Level::Ok,
        "error" => Level::Error,
        _ => return None,
    };
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())?;
    Some(Flash { level, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_reads_back_only_for_its_session() {
        let f = Flash::ok("Incident #3 opened");
        let v = encode(&f, "secret-a");
        assert_eq!(decode(&v, "secret-a"), Some(f));
        assert_eq!(decode(&v, "secret-b"), None);
        let forged = v.replacen("ok.", "error.", 1);
        assert_eq!(decode(&forged, "secret-a"), None);
        assert_eq!(decode("garbage", "secret-a"), None);
    }
}
