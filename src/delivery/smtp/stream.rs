//! One SMTP connection: dialled with `TCP_NODELAY`, secured as the endpoint says, logged in,
//! and one message's conversation on it.
#![allow(deprecated)] // lettre's `AsyncNetworkStream` is the one way to its TLS for smtps://.

use super::{Endpoint, Security, SendError};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};

/// Opens a connection: TCP with `TCP_NODELAY`, TLS (implicit or STARTTLS), EHLO, AUTH.
pub async fn dial(ep: &Endpoint) -> Result<AsyncSmtpConnection, SendError> {
    let work = async {
        let tcp = TcpStream::connect((ep.host.as_str(), ep.port))
            .await
            .map_err(|e| {
                SendError::Connection(format!("connecting to {}:{}: {e}", ep.host, ep.port))
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::Connection(format!("TCP_NODELAY: {e}")))?;
        let stream: Box<dyn AsyncTokioStream> = match (ep.security, &ep.tls) {
            (Security::Implicit, Some(tls)) => {
                let mut s = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
                s.upgrade_tls(tls.clone()).await?;
                Box::new(Implicit(s.compat()))
            }
            _ => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &ep.hello).await?;
        match (ep.security, &ep.tls) {
            (Security::Required, Some(tls)) => conn.starttls(tls.clone(), &ep.hello).await?,
            (Security::Opportunistic, Some(tls)) if conn.can_starttls() => {
                conn.starttls(tls.clone(), &ep.hello).await?
            }
            _ => {}
        }
        if let Some(credentials) = &ep.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    };
    match tokio::time::timeout(ep.timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(SendError::Connection(format!(
            "connecting to {}:{} took longer than {:?}",
            ep.host, ep.port, ep.timeout
        ))),
    }
}

/// MAIL, RCPT, DATA and the message, as lettre's `send` does it, but without closing the
/// connection on a refusal: the caller decides (RSET and keep it, or drop it). Each `?` on a
/// lettre result is a negative reply or a broken conversation.
pub async fn transact(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    email: &[u8],
) -> Result<Response, SendError> {
    let mut options = vec![];
    let non_ascii = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
    if non_ascii {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(SendError::Client(
                "the envelope has non-ASCII addresses but the server does not support SMTPUTF8",
            ));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !email.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(SendError::Client(
                "the message has non-ASCII text but the server does not support 8BITMIME",
            ));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(envelope.from().cloned(), options))
        .await?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), vec![])).await?;
    }
    conn.command(Data).await?;
    Ok(conn.message(email).await?)
}

/// The implicit-TLS stream (`smtps://`) as lettre's connection wants a transport.
#[derive(Debug)]
struct Implicit(Compat<AsyncNetworkStream>);

impl AsyncTokioStream for Implicit {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.get_ref().peer_addr()
    }
}

impl AsyncRead for Implicit {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Implicit {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
