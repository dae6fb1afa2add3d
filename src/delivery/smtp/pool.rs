//! A small pool of SMTP connections: at most `size` open, each reused message after message.
//!
//! - A refused message (4xx, 5xx) is followed by `RSET` and the connection kept; a 421 (the
//!   server is closing), a failed `RSET`, a broken conversation or a timeout drop it.
//! - A connection that broke while it sat idle (the server timed it out or restarted) is found
//!   out by the next message, which is then sent at once on a new connection: nothing of it was
//!   accepted by then, exactly as with the dispatcher's own retry of a transient failure.
//! - Connections idle for longer than `CHECK_AFTER` are probed with `NOOP` before use.
//! - `close` sends `QUIT` on every connection (at shutdown); connections in use then are quit
//!   when they come back.
use super::conn::{dial, Connection, Reply};
use super::{Endpoint, SendError};
use lettre::address::Envelope;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Probe a connection with `NOOP` before reusing it after this long idle.
const CHECK_AFTER: Duration = Duration::from_secs(20);

struct Idle {
    conn: Connection,
    since: Instant,
}

pub struct Pool {
    endpoint: Endpoint,
    idle: Mutex<Vec<Idle>>,
    slots: Semaphore,
    closed: AtomicBool,
    dialled: AtomicU64,
    /// Whether the last connection opened offered 8BITMIME.
    eight_bit: AtomicBool,
}

impl Pool {
    pub fn new(endpoint: Endpoint, size: usize) -> Pool {
        Pool {
            endpoint,
            idle: Mutex::new(Vec::with_capacity(size)),
            slots: Semaphore::new(size.max(1)),
            closed: AtomicBool::new(false),
            dialled: AtomicU64::new(0),
            eight_bit: AtomicBool::new(false),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Whether the server takes 8-bit text (8BITMIME), as its last new connection said; false
    /// until one was opened.
    pub fn offers_8bitmime(&self) -> bool {
        self.eight_bit.load(Ordering::Relaxed)
    }

    /// Connections opened so far.
    pub fn dialled(&self) -> u64 {
        self.dialled.load(Ordering::Relaxed)
    }

    /// Sends one message; the server's reply when it accepted it.
    pub async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<Reply, SendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| SendError::Connection("the SMTP pool is closed".into()))?;
        let (mut conn, reused) = match self.checkout().await {
            Some(c) => (c, true),
            None => (self.dial().await?, false),
        };
        match self.attempt(&mut conn, envelope, email).await {
            Ok(r) => {
                self.checkin(conn).await;
                Ok(r)
            }
            Err(e) => {
                let keep = self.recover(&mut conn, &e).await;
                if keep {
                    self.checkin(conn).await;
                    return Err(e);
                }
                drop(conn);
                if !reused || !stale(&e) {
                    return Err(e);
                }
                // The idle connection had died; nothing of this message was accepted on it.
                let mut conn = self.dial().await?;
                let r = self.attempt(&mut conn, envelope, email).await;
                match &r {
                    Err(e) if !self.recover(&mut conn, e).await => drop(conn),
                    _ => self.checkin(conn).await,
                }
                r
            }
        }
    }

    /// Sends `QUIT` on the idle connections; later returns are quit too.
    pub async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let idle: Vec<Idle> = std::mem::take(&mut *self.lock());
        for mut i in idle {
            quit(&mut i.conn).await;
        }
    }

    async fn attempt(
        &self,
        conn: &mut Connection,
        envelope: &Envelope,
        email: &[u8],
    ) -> Result<Reply, SendError> {
        match tokio::time::timeout(self.endpoint.timeout, conn.transact(envelope, email)).await {
            Ok(r) => r,
            Err(_) => Err(SendError::Connection(format!(
                "the SMTP server did not answer within {:?}",
                self.endpoint.timeout
            ))),
        }
    }

    /// After a failed message: whether the connection can carry the next one.
    async fn recover(&self, conn: &mut Connection, e: &SendError) -> bool {
        if conn.has_broken() {
            return false;
        }
        match e {
            SendError::Client(_) => true,
            SendError::Reply(r) if r.code == 421 => false,
            SendError::Reply(_) => matches!(
                tokio::time::timeout(self.endpoint.timeout, conn.rset()).await,
                Ok(Ok(()))
            ),
            SendError::Broken(_) | SendError::Connection(_) => false,
        }
    }

    async fn dial(&self) -> Result<Connection, SendError> {
        let conn = dial(&self.endpoint).await?;
        self.dialled.fetch_add(1, Ordering::Relaxed);
        self.eight_bit
            .store(conn.offers_8bitmime(), Ordering::Relaxed);
        Ok(conn)
    }

    /// An idle connection, probed if it idled long.
    async fn checkout(&self) -> Option<Connection> {
        loop {
            let Idle { mut conn, since } = self.lock().pop()?;
            if conn.has_broken() {
                continue;
            }
            if since.elapsed() < CHECK_AFTER
                || tokio::time::timeout(Duration::from_secs(5), conn.noop())
                    .await
                    .unwrap_or(false)
            {
                return Some(conn);
            }
            drop(conn);
        }
    }

    async fn checkin(&self, mut conn: Connection) {
        if conn.has_broken() {
            return;
        }
        if self.closed.load(Ordering::SeqCst) {
            quit(&mut conn).await;
            return;
        }
        self.lock().push(Idle {
            conn,
            since: Instant::now(),
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `e` is what a connection that died while idle gives: the conversation broke, or
/// the server said it is closing (421), before anything was accepted.
fn stale(e: &SendError) -> bool {
    match e {
        SendError::Broken(_) => true,
        SendError::Reply(r) => r.code == 421,
        SendError::Connection(_) | SendError::Client(_) => false,
    }
}

async fn quit(conn: &mut Connection) {
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.quit()).await;
}
