//! TLS for the test SMTP server: a CA and a certificate for 127.0.0.1 and localhost made on
//! the spot (rcgen), served with rustls over the blocking socket, by STARTTLS or from the
//! first byte.
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use tokio_rustls::rustls;

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text first; `STARTTLS` offered in the EHLO reply.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

pub struct Tls {
    pub mode: TlsMode,
    /// The CA certificate the client must trust (`TOCSIN_SMTP_CA_FILE`).
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl Tls {
    pub fn new(mode: TlsMode) -> Tls {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Tocsin test SMTP CA");
        let ca = ca.self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        Tls {
            mode,
            ca_pem: ca.pem(),
            config: Arc::new(config),
        }
    }

    /// The server side of a TLS session on `tcp` (the handshake runs on first use).
    pub fn accept(
        &self,
        tcp: TcpStream,
    ) -> io::Result<rustls::StreamOwned<rustls::ServerConnection, TcpStream>> {
        let conn = rustls::ServerConnection::new(self.config.clone()).map_err(io::Error::other)?;
        Ok(rustls::StreamOwned::new(conn, tcp))
    }
}

/// A connection's stream, before and after TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}
