//! A real SMTP server for the tests, in-process on a random loopback port: nothing to install.
//!
//! The protocol (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) is the
//! `mailin` crate's session state machine; this file adds the TCP accept loop (one std thread
//! per connection, so it works under any Tokio runtime flavour and from blocking tests), the
//! per-recipient behaviour tests set (`reject`, `defer`), and what the tests read back
//! (`received`, `rejections`, `wait_for`). `start` serves plain text (no STARTTLS, no AUTH):
//! point the app at it with `TOCSIN_SMTP_URL = server.url()` (`smtp://127.0.0.1:PORT`);
//! `start_tls` serves STARTTLS or implicit TLS with a certificate made on the spot (`tls.rs`).
//!
//! ```ignore
//! let smtp = SmtpServer::start();
//! smtp.defer("slow@example.org", 1); // first RCPT TO gets 451, then accepted
//! smtp.reject("gone@example.org", 550); // every RCPT TO gets 550
//! // ... run the app with TOCSIN_SMTP_URL=smtp.url() ...
//! let mails = smtp.wait_for_async(2, Duration::from_secs(10)).await;
//! assert_eq!(mails[0].text(), "Hello\n");
//! ```
#![allow(dead_code)] // shared by every test file; not each uses every helper
mod received;
mod tls;
pub use received::Received;
pub use tls::TlsMode;

use mailin::{response, Action, Handler, Response, SessionBuilder};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The reply code the server gives a deferred recipient.
pub const DEFER_CODE: u16 = 451;

/// The test SMTP server. Serves until dropped; dropping it closes every open connection.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<Arc<tls::Tls>>,
    accept: Option<JoinHandle<()>>,
}

#[derive(Debug, Clone, Copy)]
enum Rule {
    Reject(u16),
    Defer {
        remaining: u32,
    },
    /// Take the message, but answer its final `.` only once released.
    Hold,
    /// Answer `RCPT TO` with this code (421) and close the connection, `remaining` times.
    Close {
        code: u16,
        remaining: u32,
    },
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    rejections: Vec<(String, u16)>,
    /// Keyed by the lower-cased address.
    rules: HashMap<String, Rule>,
    connections_accepted: usize,
    /// Clones of the open connections' sockets, to shut them down on drop.
    open: HashMap<usize, TcpStream>,
    /// Messages waiting for `release` before their final reply.
    held: usize,
    released: bool,
    pipelined: usize,
}

struct Shared {
    state: Mutex<State>,
    /// Notified whenever a message is accepted or a recipient refused.
    changed: Condvar,
    stopping: AtomicBool,
    /// Whether the EHLO reply offers PIPELINING (RFC 2920; mailin reads line by line, so a
    /// pipelined batch is simply the next lines already in the buffer).
    pipelining: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not take the server down with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks until `done(state)` holds or `timeout` passed; the caller checks which.
    fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&State) -> bool,
    ) -> MutexGuard<'_, State> {
        let (guard, _) = self
            .changed
            .wait_timeout_while(self.lock(), timeout, |s| !done(s))
            .unwrap_or_else(PoisonError::into_inner);
        guard
    }

    fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let state = self.wait_until(timeout, |s| s.received.len() >= n);
        if state.received.len() >= n {
            return state.received.clone();
        }
        let got: Vec<String> = state.received.iter().map(Received::summary).collect();
        let rejections = state.rejections.clone();
        drop(state);
        panic!(
            "test SMTP server: waited {timeout:?} for {n} message(s), got {}: {got:#?}\n\
             refused recipients: {rejections:?}",
            got.len()
        );
    }

    fn wait_for_rejections(&self, n: usize, timeout: Duration) -> Vec<(String, u16)> {
        let state = self.wait_until(timeout, |s| s.rejections.len() >= n);
        if state.rejections.len() >= n {
            return state.rejections.clone();
        }
        let rejections = state.rejections.clone();
        let got: Vec<String> = state.received.iter().map(Received::summary).collect();
        drop(state);
        panic!(
            "test SMTP server: waited {timeout:?} for {n} refused recipient(s), got {}: \
             {rejections:?}\naccepted messages: {got:#?}",
            rejections.len()
        );
    }
}

impl SmtpServer {
    /// Binds 127.0.0.1 on a free port and serves in background threads.
    pub fn start() -> SmtpServer {
        SmtpServer::serve(None)
    }

    /// A server speaking TLS (STARTTLS, or implicit TLS from the first byte) with a
    /// self-signed certificate for 127.0.0.1 and localhost ([`SmtpServer::ca_pem`]).
    pub fn start_tls(mode: TlsMode) -> SmtpServer {
        SmtpServer::serve(Some(Arc::new(tls::Tls::new(mode))))
    }

    fn serve(tls: Option<Arc<tls::Tls>>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test SMTP server");
        let addr = listener.local_addr().expect("test SMTP server address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            stopping: AtomicBool::new(false),
            pipelining: AtomicBool::new(true),
        });
        let accept = {
            let shared = shared.clone();
            let tls = tls.clone();
            thread::Builder::new()
                .name(format!("smtp-accept-{}", addr.port()))
                .spawn(move || accept_loop(listener, shared, tls))
                .expect("spawn test SMTP server")
        };
        SmtpServer {
            addr,
            shared,
            tls,
            accept: Some(accept),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The app's `TOCSIN_SMTP_URL`: `smtp://127.0.0.1:PORT` (plain text, no STARTTLS), or
    /// with `?tls=required` (STARTTLS), or `smtps://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        match self.tls.as_deref().map(|t| t.mode) {
            None => format!("smtp://{}", self.addr),
            Some(TlsMode::StartTls) => format!("smtp://{}?tls=required", self.addr),
            Some(TlsMode::Implicit) => format!("smtps://{}", self.addr),
        }
    }

    /// The PEM of the self-signed certificate (`TOCSIN_SMTP_CA_FILE`) of a TLS server.
    pub fn ca_pem(&self) -> String {
        self.tls.as_ref().expect("a TLS server").ca_pem.clone()
    }

    /// Answer the next `times` `RCPT TO`s of `address` with `code` (421: the server is going
    /// away) and close the connection right after, as a server shutting down does.
    pub fn close_on(&self, address: &str, code: u16, times: u32) {
        self.set_rule(
            address,
            Rule::Close {
                code,
                remaining: times,
            },
        );
    }

    /// Cuts every open connection (idle ones in a client's pool included) without a word, as a
    /// restarted server or a broken network does.
    pub fn drop_connections(&self) {
        for (_, stream) in self.shared.lock().open.drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Refuse every `RCPT TO` of `address` (case-insensitive) with `code` (4xx or 5xx, e.g. 550
    /// or 552). Replaces any earlier rule for that address.
    pub fn reject(&self, address: &str, code: u16) {
        assert!(
            (400..600).contains(&code),
            "reject code must be 4xx or 5xx, not {code}"
        );
        self.set_rule(address, Rule::Reject(code));
    }

    /// Answer the first `times` `RCPT TO`s of `address` (case-insensitive) with 451, then accept
    /// it. Replaces any earlier rule for that address.
    pub fn defer(&self, address: &str, times: u32) {
        self.set_rule(address, Rule::Defer { remaining: times });
    }

    /// Take messages to `address` but keep their final reply (after DATA's `.`) until
    /// [`SmtpServer::release`]: the client waits as on a slow server. A held message is
    /// recorded as received when released, whether or not its client is still there (as a
    /// real server would have it).
    pub fn hold(&self, address: &str) {
        self.set_rule(address, Rule::Hold);
    }

    /// Messages now held.
    pub fn held(&self) -> usize {
        self.shared.lock().held
    }

    /// Waits until at least `n` messages are held; panics after `timeout`.
    pub async fn wait_for_held(&self, n: usize, timeout: Duration) {
        let shared = self.shared.clone();
        unblock(move || {
            let state = shared.wait_until(timeout, |s| s.held >= n);
            assert!(
                state.held >= n,
                "waited {timeout:?} for {n} held message(s), {} held",
                state.held
            );
        })
        .await
    }

    /// Lets every held message (and every later one) through.
    pub fn release(&self) {
        self.shared.lock().released = true;
        self.shared.changed.notify_all();
    }

    /// Forget the rule for `address`: accept it from now on.
    pub fn accept(&self, address: &str) {
        self.shared.lock().rules.remove(&address.to_lowercase());
    }

    fn set_rule(&self, address: &str, rule: Rule) {
        self.shared
            .lock()
            .rules
            .insert(address.to_lowercase(), rule);
    }

    /// Every message accepted so far, in order of acceptance.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// Every refused `RCPT TO` so far, rejected or deferred, as (address as sent, reply code),
    /// in order.
    pub fn rejections(&self) -> Vec<(String, u16)> {
        self.shared.lock().rejections.clone()
    }

    /// How many connections are open now.
    pub fn open_connections(&self) -> usize {
        self.shared.lock().open.len()
    }

    /// Waits until at most `n` connections are open (clients said QUIT); panics after
    /// `timeout`.
    pub async fn wait_for_open_async(&self, n: usize, timeout: Duration) {
        let shared = self.shared.clone();
        unblock(move || {
            let state = shared.wait_until(timeout, |s| s.open.len() <= n);
            assert!(
                state.open.len() <= n,
                "waited {timeout:?} for at most {n} open connection(s), {} open",
                state.open.len()
            );
        })
        .await
    }

    /// How many TCP connections the server has accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections_accepted
    }

    /// Stops offering PIPELINING in EHLO replies (to connections opened from now on).
    pub fn without_pipelining(&self) {
        self.shared.pipelining.store(false, Ordering::SeqCst);
    }

    /// Transactions whose `MAIL FROM` arrived together with the commands after it (pipelined).
    pub fn pipelined(&self) -> usize {
        self.shared.lock().pipelined
    }

    /// Blocks until at least `n` messages were accepted and returns all of them; panics after
    /// `timeout`, listing what did arrive. In an async test use [`SmtpServer::wait_for_async`]
    /// instead (this blocks the calling thread, which may be the one the app runs on).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.shared.wait_for(n, timeout)
    }

    /// [`SmtpServer::wait_for`] without blocking the async runtime (works on any flavour).
    pub async fn wait_for_async(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let shared = self.shared.clone();
        unblock(move || shared.wait_for(n, timeout)).await
    }

    /// Blocks until at least `n` `RCPT TO`s were refused (rejected or deferred) and returns all
    /// of them; panics after `timeout`.
    pub fn wait_for_rejections(&self, n: usize, timeout: Duration) -> Vec<(String, u16)> {
        self.shared.wait_for_rejections(n, timeout)
    }

    /// [`SmtpServer::wait_for_rejections`] without blocking the async runtime.
    pub async fn wait_for_rejections_async(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Vec<(String, u16)> {
        let shared = self.shared.clone();
        unblock(move || shared.wait_for_rejections(n, timeout)).await
    }
}

/// Runs a blocking wait on Tokio's blocking pool, re-raising its panic in the caller.
async fn unblock<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        // Wake the accept loop; it sees `stopping` and returns.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        // End the connections still open (e.g. idle in a client's pool): their reads return 0.
        for (_, stream) in self.shared.lock().open.drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, tls: Option<Arc<tls::Tls>>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let id = {
            let mut state = shared.lock();
            state.connections_accepted += 1;
            let id = state.connections_accepted;
            if let Ok(clone) = stream.try_clone() {
                state.open.insert(id, clone);
            }
            id
        };
        let shared = shared.clone();
        let tls = tls.clone();
        let spawned = thread::Builder::new()
            .name(format!("smtp-conn-{id}"))
            .spawn(move || {
                // An I/O error means the client went away; nothing to report.
                let _ = serve(stream, &shared, tls.as_deref());
                shared.lock().open.remove(&id);
                shared.changed.notify_all();
            });
        if spawned.is_err() {
            return;
        }
    }
}

/// One SMTP session: feed each line to mailin's state machine, write back what it answers.
fn serve(stream: TcpStream, shared: &Arc<Shared>, tls: Option<&tls::Tls>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let ip = stream.peer_addr()?.ip();
    let closing = Arc::new(AtomicBool::new(false));
    let tls_on = Arc::new(AtomicBool::new(false));
    let mut builder = SessionBuilder::new("tocsin-test-smtp");
    if tls.is_some_and(|t| t.mode == TlsMode::StartTls) {
        builder.enable_start_tls();
    }
    // Without TLS the EHLO reply offers 8BITMIME only; no AUTH.
    let mut session = builder.build(ip, Connection::new(shared, &closing, &tls_on));
    let mut conn = match tls {
        Some(t) if t.mode == TlsMode::Implicit => {
            session.tls_active();
            tls_on.store(true, Ordering::SeqCst);
            tls::Stream::Tls(Box::new(t.accept(stream)?))
        }
        _ => tls::Stream::Plain(stream),
    };
    let mut reader = BufReader::new(conn);
    reader.get_mut().write_all(&session.greeting().buffer()?)?;
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).to_ascii_uppercase();
        if command.starts_with("MAIL FROM") && !reader.buffer().is_empty() {
            shared.lock().pipelined += 1;
        }
        let res = session.process(&line);
        match res.action {
            Action::NoReply => {}
            Action::Reply
                if command.starts_with("EHLO") && shared.pipelining.load(Ordering::SeqCst) =>
            {
                reader
                    .get_mut()
                    .write_all(&offer_pipelining(&res.buffer()?))?
            }
            Action::Reply => reader.get_mut().write_all(&res.buffer()?)?,
            Action::Close => {
                reader.get_mut().write_all(&res.buffer()?)?;
                return Ok(());
            }
            Action::UpgradeTls => {
                let Some(t) = tls.filter(|_| !tls_on.load(Ordering::SeqCst)) else {
                    reader.get_mut().write_all(b"454 TLS not available\r\n")?;
                    return Ok(());
                };
                reader.get_mut().write_all(&res.buffer()?)?;
                let tls::Stream::Plain(tcp) = reader.into_inner() else {
                    unreachable!("TLS is started once")
                };
                conn = tls::Stream::Tls(Box::new(t.accept(tcp)?));
                reader = BufReader::new(conn);
                session.tls_active();
                tls_on.store(true, Ordering::SeqCst);
            }
        }
        if closing.load(Ordering::SeqCst) {
            reader.get_mut().flush()?;
            return Ok(());
        }
    }
}

/// An EHLO reply (`250-name`, `250-…`, `250 last`) with `PIPELINING` added after the name.
fn offer_pipelining(reply: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(reply);
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.get(4..).unwrap_or("").to_owned())
        .collect();
    if !text.starts_with("250") || lines.is_empty() {
        return reply.to_vec();
    }
    lines.insert(1, "PIPELINING".into());
    let last = lines.len() - 1;
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
        .collect::<String>()
        .into_bytes()
}

/// mailin's per-connection handler: applies the recipient rules and records accepted mail.
struct Connection {
    shared: Arc<Shared>,
    /// Set when a reply must be the connection's last.
    closing: Arc<AtomicBool>,
    tls: Arc<AtomicBool>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Connection {
    fn new(shared: &Arc<Shared>, closing: &Arc<AtomicBool>, tls: &Arc<AtomicBool>) -> Self {
        Connection {
            shared: shared.clone(),
            closing: closing.clone(),
            tls: tls.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        }
    }
}

impl Handler for Connection {
    fn rcpt(&mut self, to: &str) -> Response {
        let mut state = self.shared.lock();
        let code = match state.rules.get_mut(&to.to_lowercase()) {
            Some(Rule::Reject(code)) => *code,
            Some(Rule::Defer { remaining }) if *remaining > 0 => {
                *remaining -= 1;
                DEFER_CODE
            }
            Some(Rule::Close { code, remaining }) if *remaining > 0 => {
                *remaining -= 1;
                self.closing.store(true, Ordering::SeqCst);
                *code
            }
            _ => return response::OK,
        };
        state.rejections.push((to.to_string(), code));
        drop(state);
        self.shared.changed.notify_all();
        let text = if self.closing.load(Ordering::SeqCst) {
            "4.3.2 Service shutting down, closing connection (test server)".to_string()
        } else if code >= 500 {
            format!("5.1.1 <{to}>: recipient rejected (test server)")
        } else {
            format!("4.2.0 <{to}>: recipient deferred, try again later (test server)")
        };
        Response::custom(code, text)
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        // mailin has already removed the transparency dot.
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let hold = {
            let state = self.shared.lock();
            self.to
                .iter()
                .any(|t| matches!(state.rules.get(&t.to_lowercase()), Some(Rule::Hold)))
                && !state.released
        };
        if hold {
            self.shared.lock().held += 1;
            self.shared.changed.notify_all();
            let mut state = self
                .shared
                .changed
                .wait_while(self.shared.lock(), |s| {
                    !s.released && !self.shared.stopping.load(Ordering::SeqCst)
                })
                .unwrap_or_else(PoisonError::into_inner);
            state.held -= 1;
        }
        let received = Received {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            raw: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
            tls: self.tls.load(Ordering::SeqCst),
        };
        let id = {
            let mut state = self.shared.lock();
            state.received.push(received);
            state.received.len()
        };
        self.shared.changed.notify_all();
        Response::custom(250, format!("2.0.0 Ok: queued as {id}"))
    }
}
