//! One SMTP connection (RFC 5321), ours from the socket up: dialled with `TCP_NODELAY`,
//! secured as the endpoint says (implicit TLS or STARTTLS, RFC 3207), logged in (AUTH PLAIN or
//! LOGIN, RFC 4954), and one message's transaction at a time on it.
//!
//! With PIPELINING (RFC 2920) offered, `MAIL`, `RCPT` and `DATA` go out in one write and their
//! replies are read together, then the message and its final dot in another, and the pool
//! (`super::pool`) puts the next message's `MAIL`, `RCPT` and `DATA` in that same write: one
//! round trip a message instead of four. Without it, each command waits for its reply.
use super::{Endpoint, Security, SendError};
use crate::delivery::evidence::printable;
use base64::Engine;
use lettre::address::Envelope;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A reply line longer than this ends the conversation (RFC 5321 allows 512 octets).
const MAX_LINE: u64 = 4096;
/// Lines of one reply at most.
const MAX_LINES: usize = 128;

/// A server's reply: its code and the text of its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The text of every line, joined with spaces.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    fn positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

/// What the server said it supports in its EHLO reply.
#[derive(Debug, Default, Clone)]
struct Features {
    pipelining: bool,
    eight_bit: bool,
    smtputf8: bool,
    starttls: bool,
    auth: Vec<String>,
}

impl Features {
    fn from_ehlo(reply: &Reply) -> Features {
        let mut f = Features::default();
        // The first line is the server's greeting name; each next one a keyword and parameters.
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            match keyword.to_ascii_uppercase().as_str() {
                "PIPELINING" => f.pipelining = true,
                "8BITMIME" => f.eight_bit = true,
                "SMTPUTF8" => f.smtputf8 = true,
                "STARTTLS" => f.starttls = true,
                "AUTH" => f.auth = words.map(|w| w.to_ascii_uppercase()).collect(),
                _ => {}
            }
        }
        f
    }
}

/// A message's envelope as commands: `MAIL FROM` and its parameters, and one `RCPT TO` per
/// recipient, each with its line end.
#[derive(Debug, Clone)]
pub struct Commands {
    mail: String,
    rcpts: Vec<String>,
}

impl Commands {
    /// Appends MAIL, the RCPTs and DATA as one pipelined group to `out`.
    fn pipeline_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.mail.as_bytes());
        self.rcpts
            .iter()
            .for_each(|r| out.extend_from_slice(r.as_bytes()));
        out.extend_from_slice(b"DATA\r\n");
    }
}

/// The transport under the conversation: plain TCP, or TLS over it.
enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

pub struct Connection {
    io: BufReader<Io>,
    features: Features,
    /// Set when the conversation can no longer be trusted (an I/O error, a garbled reply).
    broken: bool,
    /// Whether PIPELINING is used when offered (tests turn it off to compare).
    pipeline: bool,
}

/// Opens a connection: TCP with `TCP_NODELAY`, TLS (implicit or STARTTLS), EHLO, AUTH.
pub async fn dial(ep: &Endpoint) -> Result<Connection, SendError> {
    let work = async {
        let tcp = TcpStream::connect((ep.host.as_str(), ep.port))
            .await
            .map_err(|e| {
                SendError::Connection(format!("connecting to {}:{}: {e}", ep.host, ep.port))
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::Connection(format!("TCP_NODELAY: {e}")))?;
        let io = match ep.security {
            Security::Implicit => Io::Tls(Box::new(tls(ep, tcp).await?)),
            _ => Io::Plain(tcp),
        };
        let mut conn = Connection {
            io: BufReader::new(io),
            features: Features::default(),
            broken: false,
            pipeline: ep.pipelining,
        };
        expect(conn.read_reply().await?, 220)?;
        conn.ehlo(ep).await?;
        let starttls = match ep.security {
            Security::Required if !conn.features.starttls => {
                return Err(SendError::Connection(format!(
                    "{}:{} does not offer STARTTLS, which tls=required asks for",
                    ep.host, ep.port
                )))
            }
            Security::Required => true,
            Security::Opportunistic => conn.features.starttls,
            Security::Plain | Security::Implicit => false,
        };
        if starttls {
            expect(conn.command("STARTTLS\r\n").await?, 220)?;
            let Io::Plain(tcp) = conn.io.into_inner() else {
                unreachable!("STARTTLS is only sent on a plain connection")
            };
            conn.io = BufReader::new(Io::Tls(Box::new(tls(ep, tcp).await?)));
            conn.ehlo(ep).await?;
        }
        if let Some((user, password)) = &ep.credentials {
            conn.auth(user, password).await?;
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

async fn tls(
    ep: &Endpoint,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, SendError> {
    let Some(config) = &ep.tls else {
        return Err(SendError::Connection("TLS is not configured".into()));
    };
    let name = rustls_pki_types::ServerName::try_from(ep.host.clone())
        .map_err(|e| SendError::Connection(format!("'{}' as a TLS name: {e}", ep.host)))?;
    tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, tcp)
        .await
        .map_err(|e| SendError::Connection(format!("TLS with {}:{}: {e}", ep.host, ep.port)))
}

/// `Ok` when the reply has the code expected, else the reply as the error.
fn expect(reply: Reply, code: u16) -> Result<Reply, SendError> {
    if reply.code == code {
        Ok(reply)
    } else {
        Err(SendError::Reply(reply))
    }
}

/// `Ok` when the reply is positive (2xx, 3xx).
fn positive(reply: Reply) -> Result<Reply, SendError> {
    if reply.positive() {
        Ok(reply)
    } else {
        Err(SendError::Reply(reply))
    }
}

impl Connection {
    pub fn has_broken(&self) -> bool {
        self.broken
    }

    /// Whether the server takes 8-bit message text (8BITMIME, RFC 6152).
    pub fn offers_8bitmime(&self) -> bool {
        self.features.eight_bit
    }

    async fn ehlo(&mut self, ep: &Endpoint) -> Result<(), SendError> {
        let reply = self.command(&format!("EHLO {}\r\n", ep.hello)).await?;
        if reply.code == 250 {
            self.features = Features::from_ehlo(&reply);
            return Ok(());
        }
        // A server without extensions (RFC 5321 §3.2).
        positive(self.command(&format!("HELO {}\r\n", ep.hello)).await?)?;
        self.features = Features::default();
        Ok(())
    }

    async fn auth(&mut self, user: &str, password: &str) -> Result<(), SendError> {
        let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
        if self.features.auth.iter().any(|m| m == "PLAIN") {
            let token = b64(format!("\0{user}\0{password}").as_bytes());
            expect(self.command(&format!("AUTH PLAIN {token}\r\n")).await?, 235)?;
        } else if self.features.auth.iter().any(|m| m == "LOGIN") {
            expect(self.command("AUTH LOGIN\r\n").await?, 334)?;
            expect(
                self.command(&format!("{}\r\n", b64(user.as_bytes())))
                    .await?,
                334,
            )?;
            expect(
                self.command(&format!("{}\r\n", b64(password.as_bytes())))
                    .await?,
                235,
            )?;
        } else {
            return Err(SendError::Connection(
                "the SMTP server offers neither AUTH PLAIN nor AUTH LOGIN".into(),
            ));
        }
        Ok(())
    }

    /// Whether the envelope's commands go out in one write (PIPELINING offered and used).
    pub fn pipelines(&self) -> bool {
        self.features.pipelining && self.pipeline
    }

    /// The envelope's commands for this server: MAIL with the parameters the message needs
    /// (`ascii`: whether its text is 7-bit), RCPT for each recipient. Refused here, before
    /// anything is written, when the message needs an extension the server lacks.
    pub fn commands(&self, envelope: &Envelope, ascii: bool) -> Result<Commands, SendError> {
        let mut mail = String::from("MAIL FROM:<");
        if let Some(from) = envelope.from() {
            mail.push_str(from.as_ref());
        }
        mail.push('>');
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if !ascii {
            if !self.features.eight_bit {
                return Err(SendError::Client(
                    "the message has non-ASCII text but the server does not support 8BITMIME",
                ));
            }
            mail.push_str(" BODY=8BITMIME");
        }
        if non_ascii {
            if !self.features.smtputf8 {
                return Err(SendError::Client(
                    "the envelope has non-ASCII addresses but the server does not support SMTPUTF8",
                ));
            }
            mail.push_str(" SMTPUTF8");
        }
        mail.push_str("\r\n");
        let rcpts = envelope
            .to()
            .iter()
            .map(|to| format!("RCPT TO:<{}>\r\n", AsRef::<str>::as_ref(to)))
            .collect();
        Ok(Commands { mail, rcpts })
    }

    /// Opens a transaction: MAIL, RCPT and DATA, in one write when pipelining, else each
    /// waiting for its reply. `Ok` when DATA was answered 354; a refusal leaves the connection
    /// usable after `rset`.
    pub async fn open(&mut self, commands: &Commands) -> Result<(), SendError> {
        if self.pipelines() {
            let mut group = Vec::with_capacity(128);
            commands.pipeline_into(&mut group);
            self.write(&group).await?;
            return self.opened(commands).await;
        }
        positive(self.command(&commands.mail).await?)?;
        for r in &commands.rcpts {
            positive(self.command(r).await?)?;
        }
        expect(self.command("DATA\r\n").await?, 354).map(|_| ())
    }

    /// Reads the replies to pipelined envelope commands already written (by `open`, or behind
    /// the previous message's data): `Ok` when DATA was answered 354.
    pub async fn opened(&mut self, commands: &Commands) -> Result<(), SendError> {
        let rcpts = commands.rcpts.len();
        // Every reply is read, refusals included, so the conversation stays in step; a server
        // that refuses and hangs up (421) is reported by its refusal.
        let mut replies = Vec::with_capacity(rcpts + 2);
        let mut broke = None;
        for _ in 0..rcpts + 2 {
            match self.read_reply().await {
                Ok(r) => replies.push(r),
                Err(e) => {
                    broke = Some(e);
                    break;
                }
            }
        }
        let envelope_replies = replies.len().min(rcpts + 1);
        let refusal = replies[..envelope_replies]
            .iter()
            .find(|r| !r.positive())
            .cloned();
        let data = replies.get(rcpts + 1);
        match (refusal, broke, data) {
            (Some(refusal), _, data) => {
                if data.is_some_and(|d| d.code == 354) {
                    // A recipient was refused yet DATA accepted: end an empty message (RFC 2920
                    // §3.1); the caller resets.
                    self.write(b".\r\n").await?;
                    self.read_reply().await?;
                }
                Err(SendError::Reply(refusal))
            }
            (None, Some(broke), _) => Err(broke),
            (None, None, Some(d)) if d.code == 354 => Ok(()),
            (None, None, Some(d)) => Err(SendError::Reply(d.clone())),
            (None, None, None) => unreachable!("every reply was read"),
        }
    }

    /// Writes the message (as `stuffed` made it, final dot included), with `then` in the same
    /// write (the next message's pipelined envelope, RFC 2920 §3.1), and reads the message's
    /// reply.
    pub async fn finish(
        &mut self,
        data: &mut Vec<u8>,
        then: Option<&Commands>,
    ) -> Result<Reply, SendError> {
        if let Some(next) = then {
            next.pipeline_into(data);
        }
        self.write(data).await?;
        positive(self.read_reply().await?)
    }

    /// `RSET`: forget a refused transaction.
    pub async fn rset(&mut self) -> Result<(), SendError> {
        positive(self.command("RSET\r\n").await?).map(|_| ())
    }

    /// `NOOP`: whether the connection still answers.
    pub async fn noop(&mut self) -> bool {
        matches!(self.command("NOOP\r\n").await, Ok(r) if r.code == 250)
    }

    /// `QUIT`, and the socket closed.
    pub async fn quit(&mut self) {
        let _ = self.command("QUIT\r\n").await;
        let _ = self.io.get_mut().shutdown().await;
    }

    async fn command(&mut self, line: &str) -> Result<Reply, SendError> {
        self.write(line.as_bytes()).await?;
        self.read_reply().await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        let io = self.io.get_mut();
        let r = match io.write_all(bytes).await {
            Ok(()) => io.flush().await,
            Err(e) => Err(e),
        };
        r.map_err(|e| self.broke(format!("writing to the SMTP server: {e}")))
    }

    /// One reply, all its lines (`250-…` continues, `250 …` ends it).
    async fn read_reply(&mut self) -> Result<Reply, SendError> {
        let mut lines = Vec::new();
        let mut buf = Vec::with_capacity(128);
        loop {
            buf.clear();
            let n = (&mut self.io)
                .take(MAX_LINE + 1)
                .read_until(b'\n', &mut buf)
                .await
                .map_err(|e| self.broke(format!("reading from the SMTP server: {e}")))?;
            if n == 0 {
                return Err(self.broke("the SMTP server closed the connection".into()));
            }
            if n as u64 > MAX_LINE || lines.len() >= MAX_LINES {
                return Err(self.broke("the SMTP server's reply is too long".into()));
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim_end_matches(['\r', '\n']);
            let code = line
                .get(..3)
                .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|c| c.parse::<u16>().ok())
                .filter(|c| (200..600).contains(c));
            let Some(code) = code else {
                return Err(self.broke(format!("the SMTP server said '{}'", printable(line, 200))));
            };
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_owned());
            if !more {
                return Ok(Reply { code, lines });
            }
        }
    }

    fn broke(&mut self, reason: String) -> SendError {
        self.broken = true;
        SendError::Broken(reason)
    }
}

/// The message as DATA carries it: a line that starts with a dot gets another (RFC 5321
/// §4.5.2), then the end-of-data line. `email` has CRLF line ends (lettre's `formatted`).
pub fn stuffed(email: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(email.len() + 16);
    if email.first() == Some(&b'.') {
        out.push(b'.');
    }
    // Copied in runs between the line starts that need a dot (rare), found with memchr's
    // searcher rather than line by line.
    let mut from = 0;
    for at in memchr::memmem::find_iter(email, b"\n.") {
        out.extend_from_slice(&email[from..=at]);
        out.push(b'.');
        from = at + 1;
    }
    out.extend_from_slice(&email[from..]);
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_starting_with_a_dot_are_stuffed_and_the_data_ends_with_a_dot_line() {
        assert_eq!(stuffed(b"a\r\n.b\r\n..c\r\n"), b"a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(stuffed(b".\r\nend"), b"..\r\nend\r\n.\r\n");
        assert_eq!(stuffed(b"x.y\r\n"), b"x.y\r\n.\r\n");
        assert_eq!(stuffed(b"a\n.\n."), b"a\n..\n..\r\n.\r\n");
        assert_eq!(stuffed(b""), b"\r\n.\r\n");
        assert_eq!(stuffed(b"..\r\n"), b"...\r\n.\r\n");
    }

    #[test]
    fn the_ehlo_reply_names_the_extensions() {
        let reply = Reply {
            code: 250,
            lines: [
                "mx.example.org",
                "PIPELINING",
                "8BITMIME",
                "AUTH LOGIN plain",
                "SIZE 1000",
            ]
            .map(String::from)
            .to_vec(),
        };
        let f = Features::from_ehlo(&reply);
        assert!(f.pipelining && f.eight_bit && !f.smtputf8 && !f.starttls);
        assert_eq!(f.auth, ["LOGIN", "PLAIN"]);
    }
}
