//! SMTP out, on connections of our own: `Endpoint` is where and how to connect (from
//! `TOCSIN_SMTP_URL`), `Pool` keeps up to `TOCSIN_SEND_CONCURRENCY` of them open and reuses them
//! across messages, `conn` speaks the protocol.
//!
//! Why not lettre's transport (lettre still builds the messages): lettre 0.11.23 never sets
//! `TCP_NODELAY`, so its final `\r\n.\r\n` waits for the peer's delayed ACK, about 44 ms a
//! message (~23 messages/s a connection; ../shared/STACK.md §6), and it does not pipeline: four
//! round trips a message where PIPELINING (RFC 2920) needs one when messages queue up (the
//! next message's envelope rides along with the previous one's data, `pool`).
//!
//! The URL's scheme is honoured as lettre's `from_url` did: `smtp://` plain (port 25),
//! `smtp://…?tls=required` STARTTLS or fail (587), `smtp://…?tls=opportunistic` STARTTLS when
//! offered (587), `smtps://` implicit TLS (465); rustls (ring) with the web PKI roots, plus
//! `TOCSIN_SMTP_CA_FILE` when set. The URL's path names the EHLO host (else this machine's
//! name); its user and password are sent with AUTH PLAIN or LOGIN.
mod conn;
mod pool;

pub use conn::Reply;
use lettre::transport::smtp::extension::ClientId;
pub use pool::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls;

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
    tls: Option<Arc<rustls::ClientConfig>>,
    /// The EHLO name.
    hello: String,
    /// User and password for AUTH.
    credentials: Option<(String, String)>,
    /// Whether PIPELINING is used when the server offers it (always, but for tests).
    pipelining: bool,
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
            _ => Some(tls_config(ca_pem)?),
        };
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default().to_string()
        } else {
            path.to_owned()
        };
        let credentials = match url.password() {
            None => None,
            Some(password) => {
                let decode = |s: &str| {
                    urlencoding::decode(s)
                        .map(|c| c.into_owned())
                        .map_err(|_| "the user or password is not UTF-8 once decoded".to_string())
                };
                Some((decode(url.username())?, decode(password)?))
            }
        };
        Ok(Endpoint {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            tls,
            hello,
            credentials,
            pipelining: true,
            timeout: Duration::from_secs(30),
        })
    }

    /// The same endpoint, never pipelining (to test servers that do not offer it).
    pub fn without_pipelining(mut self) -> Endpoint {
        self.pipelining = false;
        self
    }
}

/// rustls with ring, the web PKI roots and `ca_pem`'s certificates.
fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = ca_pem {
        let mut added = 0;
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("the CA certificate cannot be read: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the CA certificate cannot be used: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err("the CA file holds no PEM certificate".into());
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Why a message was not accepted.
#[derive(Debug)]
pub enum SendError {
    /// The server refused: a 4xx or 5xx reply.
    Reply(Reply),
    /// The conversation broke (the connection dropped, a garbled reply): nothing is known to
    /// have been accepted.
    Broken(String),
    /// Connecting failed, or the server took longer than the timeout.
    Connection(String),
    /// The server cannot take this message (nothing was sent; the connection is fine).
    Client(&'static str),
}

impl SendError {
    /// A 5xx reply: the message will never be accepted this way.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Reply(r) if r.code >= 500)
    }

    /// The reply code, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Reply(r) => Some(r.code),
            _ => None,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Reply(r) if r.code >= 500 => write!(f, "permanent error ({r})"),
            SendError::Reply(r) => write!(f, "transient error ({r})"),
            SendError::Broken(m) | SendError::Connection(m) => f.write_str(m),
            SendError::Client(m) => f.write_str(m),
        }
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
            Some(("user@example.com".into(), "p@ss".into()))
        );
        assert_eq!(e.hello, "client.example.com");
        assert!(!format!("{e:?}").contains("p@ss"));
    }
}
