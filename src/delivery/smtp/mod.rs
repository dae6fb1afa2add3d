//! SMTP out, on connections of our own: `Endpoint` is where and how to connect (from
//! `TOCSIN_SMTP_URL`), `Pool` keeps up to `TOCSIN_SEND_CONCURRENCY` of them open and reuses them
//! across messages.
//!
//! Why not lettre's pooled transport: lettre 0.11.23 never sets `TCP_NODELAY`, so its final
//! `\r\n.\r\n` waits for the peer's delayed ACK, about 44 ms a message (~23 messages/s a
//! connection; ../shared/STACK.md §6). Here the TCP stream is ours, with `TCP_NODELAY`, and
//! lettre speaks SMTP over it (`AsyncSmtpConnection::connect_with_transport`).
//!
//! The URL's scheme is honoured as lettre's `from_url` did: `smtp://` plain (port 25),
//! `smtp://…?tls=required` STARTTLS or fail (587), `smtp://…?tls=opportunistic` STARTTLS when
//! offered (587), `smtps://` implicit TLS (465); rustls with the web PKI roots, plus
//! `TOCSIN_SMTP_CA_FILE` when set. The URL's path names the EHLO host; its user and password
//! are sent with AUTH PLAIN or LOGIN.
mod pool;
mod stream;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
pub use pool::Pool;
use std::time::Duration;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: never encrypted.
    Plain,
    /// `smtp://…?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtp://…?tls=required`: STARTTLS, or no message at all.
    Required,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// Where and how to connect.
#[derive(Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    tls: Option<TlsParameters>,
    hello: ClientId,
    credentials: Option<Credentials>,
    /// Connecting, and each message's whole conversation, give up after this.
    pub timeout: Duration,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        write!(f, "{}:{} ({:?})", self.host, self.port, self.security)
    }
}

impl Endpoint {
    /// From `TOCSIN_SMTP_URL`; `ca_pem` adds a trusted root (a private relay's own CA or
    /// self-signed certificate).
    pub fn from_url(url: &url::Url, ca_pem: Option<&[u8]>) -> Result<Endpoint, String> {
        let host = url
            .host_str()
            .ok_or("has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic, 587),
            ("smtp", Some("required")) => (Security::Required, 587),
            ("smtps", _) => (Security::Implicit, 465),
            (scheme, tls) => {
                return Err(format!(
                    "'{scheme}://' with tls={} is not smtp://, smtp://…?tls=required, \
                     smtp://…?tls=opportunistic or smtps://",
                    tls.unwrap_or_default()
                ))
            }
        };
        let tls = match security {
            Security::Plain => None,
            _ => {
                let mut b = TlsParameters::builder(host.clone());
                if let Some(pem) = ca_pem {
                    let cert = Certificate::from_pem(pem)
                        .map_err(|e| format!("the CA certificate cannot be read: {e}"))?;
                    b = b.add_root_certificate(cert);
                }
                Some(b.build_rustls().map_err(|e| format!("TLS: {e}"))?)
            }
        };
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        let credentials = match url.password() {
            None => None,
            Some(password) => {
                let decode = |s: &str| {
                    urlencoding::decode(s)
                        .map(|c| c.into_owned())
                        .map_err(|_| "the user or password is not UTF-8 once decoded".to_string())
                };
                Some(Credentials::new(decode(url.username())?, decode(password)?))
            }
        };
        Ok(Endpoint {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            tls,
            hello,
            credentials,
            timeout: Duration::from_secs(30),
        })
    }
}

/// Why a message was not accepted.
#[derive(Debug)]
pub enum SendError {
    /// What lettre says: a negative reply (4xx, 5xx), or the conversation broke.
    Smtp(lettre::transport::smtp::Error),
    /// Connecting failed, or the server took longer than the timeout.
    Connection(String),
    /// The server cannot take this message (nothing was sent; the connection is fine).
    Client(&'static str),
}

impl SendError {
    /// A 5xx reply: the message will never be accepted this way.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Smtp(e) if e.is_permanent())
    }

    /// The reply code, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Smtp(e) => e.status().map(u16::from),
            SendError::Connection(_) | SendError::Client(_) => None,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Smtp(e) => write!(f, "{e}"),
            SendError::Connection(m) => f.write_str(m),
            SendError::Client(m) => f.write_str(m),
        }
    }
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(e: lettre::transport::smtp::Error) -> SendError {
        SendError::Smtp(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(url: &str) -> Result<Endpoint, String> {
        Endpoint::from_url(&url::Url::parse(url).unwrap(), None)
    }

    #[test]
    fn the_scheme_and_tls_parameter_choose_security_and_default_port_as_lettre_did() {
        let cases = [
            ("smtp://mail.example.com", Security::Plain, 25),
            ("smtp://mail.example.com:2525", Security::Plain, 2525),
            (
                "smtp://mail.example.com?tls=required",
                Security::Required,
                587,
            ),
            (
                "smtp://mail.example.com?tls=opportunistic",
                Security::Opportunistic,
                587,
            ),
            ("smtps://mail.example.com", Security::Implicit, 465),
        ];
        for (url, security, port) in cases {
            let e = ep(url).unwrap();
            assert_eq!((e.security, e.port), (security, port), "{url}");
            assert_eq!(e.tls.is_some(), security != Security::Plain, "{url}");
        }
        assert!(ep("smtp://mail.example.com?tls=maybe").is_err());
    }

    #[test]
    fn credentials_are_decoded_and_never_printed() {
        let e =
            ep("smtps://user%40example.com:p%40ss@mail.example.com/client.example.com").unwrap();
        assert_eq!(
            e.credentials,
            Some(Credentials::new("user@example.com".into(), "p@ss".into()))
        );
        assert_eq!(e.hello, ClientId::Domain("client.example.com".into()));
        assert!(!format!("{e:?}").contains("p@ss"));
    }
}
