//! A pool of SMTP connections: at most `size` open, each reused message after message.
//!
//! Each connection is driven by a lane (a task of its own) that takes messages from one queue.
//! With PIPELINING, when a lane writes a message's final dot it takes the next message waiting
//! in the queue, if any, and writes its `MAIL`, `RCPT` and `DATA` in the same write (RFC 2920
//! §3.1 allows the message content first in a group): one write and one read a message for
//! both sides, where a message on its own needs two of each. A message is only ever taken that
//! way when it is already waiting, so a lone message never waits for another.
//!
//! - A refused message (4xx, 5xx) keeps the connection, with `RSET` when its envelope was
//!   refused (a refusal of its data ends the transaction by itself); a 421 (the server is
//!   closing), a failed `RSET`, a broken conversation or a timeout drop it.
//! - A message whose envelope went out on a connection that then broke (it died while idle,
//!   the server timed it out or restarted, or the message before it broke it) is sent at once
//!   on a new connection: nothing of it was accepted by then, exactly as with the dispatcher's
//!   own retry of a transient failure.
//! - Connections idle for longer than `CHECK_AFTER` are probed with `NOOP` before use.
//! - `close` lets every lane finish what it holds and send `QUIT`.
//!
//! What a held reply costs: the message behind it on the same connection (its envelope went
//! out with the held message's dot) waits with it, until the reply or the timeout; then it
//! goes on a new connection.
use super::conn::{dial, stuffed, Commands, Connection, Reply};
use super::{Endpoint, SendError};
use lettre::address::Envelope;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Probe a connection with `NOOP` before reusing it after this long idle.
const CHECK_AFTER: Duration = Duration::from_secs(20);

/// One message for a lane to send.
struct Job {
    envelope: Envelope,
    /// The message as DATA carries it (dot-stuffed, final dot included).
    data: Vec<u8>,
    /// Whether the message's text is 7-bit.
    ascii: bool,
    done: oneshot::Sender<Result<Reply, SendError>>,
}

impl Job {
    fn complete(self, result: Result<Reply, SendError>) {
        // The sender may have stopped waiting; the result is then nobody's.
        let _ = self.done.send(result);
    }
}

struct Shared {
    endpoint: Endpoint,
    size: usize,
    /// Lanes running, and of them those waiting for a message.
    lanes: AtomicUsize,
    idle: AtomicUsize,
    closed: CancellationToken,
    dialled: AtomicU64,
    rode_along: AtomicU64,
    /// Whether the last connection opened offered 8BITMIME.
    eight_bit: AtomicBool,
}

pub struct Pool {
    shared: Arc<Shared>,
    queue: flume::Sender<Job>,
    jobs: flume::Receiver<Job>,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

fn closed() -> SendError {
    SendError::Connection("the SMTP pool is closed".into())
}

impl Pool {
    pub fn new(endpoint: Endpoint, size: usize) -> Pool {
        let (queue, jobs) = flume::unbounded();
        Pool {
            shared: Arc::new(Shared {
                endpoint,
                size: size.max(1),
                lanes: AtomicUsize::new(0),
                idle: AtomicUsize::new(0),
                closed: CancellationToken::new(),
                dialled: AtomicU64::new(0),
                rode_along: AtomicU64::new(0),
                eight_bit: AtomicBool::new(false),
            }),
            queue,
            jobs,
            handles: Mutex::new(Vec::new()),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.shared.endpoint
    }

    /// Whether the server takes 8-bit text (8BITMIME), as its last new connection said; false
    /// until one was opened.
    pub fn offers_8bitmime(&self) -> bool {
        self.shared.eight_bit.load(Ordering::Relaxed)
    }

    /// Connections opened so far.
    pub fn dialled(&self) -> u64 {
        self.shared.dialled.load(Ordering::Relaxed)
    }

    /// Sends one message; the server's reply when it accepted it.
    pub async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<Reply, SendError> {
        if self.shared.closed.is_cancelled() {
            return Err(closed());
        }
        let (done, result) = oneshot::channel();
        let job = Job {
            envelope: envelope.clone(),
            data: stuffed(email),
            ascii: email.is_ascii(),
            done,
        };
        self.queue.send(job).map_err(|_| closed())?;
        if self.shared.closed.is_cancelled() {
            // Closed while it was queued: the lanes may be gone.
            self.refuse_queued();
        } else {
            self.add_lane();
        }
        result.await.unwrap_or_else(|_| {
            Err(SendError::Connection(
                "the SMTP pool stopped before the message was sent".into(),
            ))
        })
    }

    /// A new lane when none is waiting for a message and there is room for one.
    fn add_lane(&self) {
        let s = &self.shared;
        if s.idle.load(Ordering::SeqCst) > 0 {
            return;
        }
        let grew = s
            .lanes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < s.size).then_some(n + 1)
            })
            .is_ok();
        if grew {
            let lane = Lane {
                shared: s.clone(),
                jobs: self.jobs.clone(),
                conn: None,
            };
            let handle = tokio::spawn(lane.run());
            let mut handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
            handles.retain(|h| !h.is_finished());
            handles.push(handle);
        }
    }

    /// Lets every lane send what it holds or has queued, then `QUIT` its connection; later
    /// messages are refused.
    pub async fn close(&self) {
        self.shared.closed.cancel();
        let handles = std::mem::take(&mut *self.handles.lock().unwrap_or_else(|e| e.into_inner()));
        for h in handles {
            let _ = h.await;
        }
        self.refuse_queued();
    }

    /// Messages queued when no lane is left to take them (the pool was closed meanwhile).
    fn refuse_queued(&self) {
        while let Ok(job) = self.jobs.try_recv() {
            job.complete(Err(closed()));
        }
    }

    /// Times the next message's envelope went out with a message's data.
    pub fn rode_along(&self) -> u64 {
        self.shared.rode_along.load(Ordering::Relaxed)
    }
}

/// A connection in a lane.
struct Live {
    conn: Connection,
    /// Whether it has carried a message before (then a broken conversation may just mean it
    /// died while idle).
    carried: bool,
    since: Instant,
}

/// Drives one connection: takes messages from the queue and sends them, the next one's
/// envelope riding along with each one's data when the server pipelines.
struct Lane {
    shared: Arc<Shared>,
    jobs: flume::Receiver<Job>,
    conn: Option<Live>,
}

/// Where a failed message left the server's transaction: still open after a refused envelope
/// (it needs `RSET`), or ended by the reply to its data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Transaction {
    Open,
    Ended,
}

/// What a lane does next.
enum Next {
    /// Wait for a message.
    Wait,
    /// A message whose envelope already went out on the lane's connection (with its commands).
    Primed(Job, Commands),
    /// A message taken from the queue that has not been sent at all.
    Fresh(Job),
}

impl Lane {
    async fn run(mut self) {
        let mut next = Next::Wait;
        loop {
            next = match next {
                Next::Primed(job, commands) => self.send_primed(job, commands).await,
                Next::Fresh(job) => self.send_new(job).await,
                Next::Wait => match self.wait().await {
                    Some(job) => self.send_new(job).await,
                    None => break,
                },
            };
        }
        if let Some(mut live) = self.conn.take() {
            quit(&mut live.conn).await;
        }
        self.shared.lanes.fetch_sub(1, Ordering::SeqCst);
    }

    /// The next message; `None` once the pool is closed (or gone) and nothing is queued.
    async fn wait(&mut self) -> Option<Job> {
        self.shared.idle.fetch_add(1, Ordering::SeqCst);
        let job = tokio::select! {
            biased;
            job = self.jobs.recv_async() => job.ok(),
            _ = self.shared.closed.cancelled() => self.jobs.try_recv().ok(),
        };
        self.shared.idle.fetch_sub(1, Ordering::SeqCst);
        job
    }

    /// A message from the queue: its envelope, on this lane's connection or a new one.
    async fn send_new(&mut self, job: Job) -> Next {
        let mut retried = false;
        loop {
            if let Err(e) = self.connect().await {
                job.complete(Err(e));
                return Next::Wait;
            }
            let live = self.conn.as_mut().expect("connected");
            let commands = match live.conn.commands(&job.envelope, job.ascii) {
                Ok(c) => c,
                Err(e) => {
                    job.complete(Err(e));
                    return Next::Wait;
                }
            };
            let carried = live.carried;
            let opened = timed(&self.shared.endpoint, live.conn.open(&commands)).await;
            match opened {
                Ok(()) => return self.send_data(job).await,
                Err(e) => {
                    let kept = self.recover(&e, Transaction::Open).await;
                    // A connection that died while idle: nothing of this message was accepted
                    // on it; once on a new one.
                    if !kept && carried && stale(&e) && !retried {
                        retried = true;
                        continue;
                    }
                    job.complete(Err(e));
                    return Next::Wait;
                }
            }
        }
    }

    /// A message whose envelope went out behind the previous message's data: its replies,
    /// then its data. When the connection broke first, it goes as a new message on a new one.
    async fn send_primed(&mut self, job: Job, commands: Commands) -> Next {
        let Some(live) = self.conn.as_mut() else {
            return Next::Fresh(job);
        };
        match timed(&self.shared.endpoint, live.conn.opened(&commands)).await {
            Ok(()) => self.send_data(job).await,
            Err(e) => {
                let kept = self.recover(&e, Transaction::Open).await;
                if !kept && stale(&e) {
                    return Next::Fresh(job);
                }
                job.complete(Err(e));
                Next::Wait
            }
        }
    }

    /// After DATA's 354: the message and its final dot, with the next queued message's
    /// envelope in the same write when the server pipelines. Returns that next message.
    async fn send_data(&mut self, mut job: Job) -> Next {
        let live = self.conn.as_mut().expect("connected");
        let mut next = None;
        if live.conn.pipelines() {
            if let Ok(n) = self.jobs.try_recv() {
                match live.conn.commands(&n.envelope, n.ascii) {
                    Ok(c) => {
                        self.shared.rode_along.fetch_add(1, Ordering::Relaxed);
                        next = Some((n, c));
                    }
                    Err(e) => n.complete(Err(e)),
                }
            }
        }
        let finished = timed(
            &self.shared.endpoint,
            live.conn
                .finish(&mut job.data, next.as_ref().map(|(_, c)| c)),
        )
        .await;
        live.carried = true;
        live.since = Instant::now();
        match finished {
            Ok(reply) => {
                job.complete(Ok(reply));
                next.map_or(Next::Wait, |(n, c)| Next::Primed(n, c))
            }
            Err(e) => {
                // A refusal of the data ends the transaction (RFC 5321 §4.1.1.4): nothing to
                // reset, and the next envelope, if any, stands.
                let kept = self.recover(&e, Transaction::Ended).await;
                job.complete(Err(e));
                match next {
                    Some((n, c)) if kept => Next::Primed(n, c),
                    // Its envelope went out on a connection now gone: nothing of it was
                    // accepted; it starts again on a new one.
                    Some((n, _)) => Next::Fresh(n),
                    None => Next::Wait,
                }
            }
        }
    }

    /// A usable connection: the one held (probed with `NOOP` after a long idle), or a new one.
    async fn connect(&mut self) -> Result<(), SendError> {
        if let Some(live) = self.conn.as_mut() {
            if !live.conn.has_broken()
                && (live.since.elapsed() < CHECK_AFTER
                    || tokio::time::timeout(Duration::from_secs(5), live.conn.noop())
                        .await
                        .unwrap_or(false))
            {
                return Ok(());
            }
            self.conn = None;
        }
        let conn = dial(&self.shared.endpoint).await?;
        self.shared.dialled.fetch_add(1, Ordering::Relaxed);
        self.shared
            .eight_bit
            .store(conn.offers_8bitmime(), Ordering::Relaxed);
        self.conn = Some(Live {
            conn,
            carried: false,
            since: Instant::now(),
        });
        Ok(())
    }

    /// After a failed message: whether the connection can carry the next one (else it is
    /// dropped). A refusal while the transaction is `Open` is followed by `RSET`.
    async fn recover(&mut self, e: &SendError, transaction: Transaction) -> bool {
        let Some(live) = self.conn.as_mut() else {
            return false;
        };
        let kept = !live.conn.has_broken()
            && match e {
                SendError::Client(_) => true,
                SendError::Reply(r) if r.code == 421 => false,
                SendError::Reply(_) if transaction == Transaction::Ended => true,
                SendError::Reply(_) => matches!(
                    tokio::time::timeout(self.shared.endpoint.timeout, live.conn.rset()).await,
                    Ok(Ok(()))
                ),
                SendError::Broken(_) | SendError::Connection(_) => false,
            };
        if !kept {
            self.conn = None;
        }
        kept
    }
}

/// `work` within the endpoint's timeout; a timeout is a connection error (the connection is
/// then dropped: the conversation is out of step).
async fn timed<T>(
    ep: &Endpoint,
    work: impl std::future::Future<Output = Result<T, SendError>>,
) -> Result<T, SendError> {
    match tokio::time::timeout(ep.timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(SendError::Connection(format!(
            "the SMTP server did not answer within {:?}",
            ep.timeout
        ))),
    }
}

/// Whether `e` is what a connection that died gives before anything of the message was
/// accepted: the conversation broke, or the server said it is closing (421).
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
