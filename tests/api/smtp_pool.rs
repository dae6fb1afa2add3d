//! The SMTP connection pool (src/delivery/smtp) against the real test server over TCP: many
//! messages over few connections, refusals kept on the connection, a 421 and a cut connection
//! re-dialled, STARTTLS and smtps:// with the relay's own CA, QUIT at shutdown; and the app
//! sending through it.
use crate::flow::{scoped_and_approved, team, with_smtp_opts};
use crate::helpers::{Backend, TestApp};
use crate::smtp::{SmtpServer, TlsMode};
use lettre::message::Mailbox;
use lettre::Message;
use std::collections::HashMap;
use std::time::Duration;
use tocsin::delivery::smtp::{Endpoint, Pool};

const WAIT: Duration = Duration::from_secs(20);

fn pool(server: &SmtpServer, size: usize, ca: Option<&str>) -> Pool {
    let url = url::Url::parse(&server.url()).unwrap();
    Pool::new(
        Endpoint::from_url(&url, ca.map(str::as_bytes)).unwrap(),
        size,
    )
}

/// A pool of one connection to `server`, pipelining as `mode` says: `Offered` (the server
/// offers PIPELINING and the pool uses it), `NotOffered`, `NotUsed` (offered, pool refrains).
fn pool_in(server: &SmtpServer, mode: Pipelining) -> Pool {
    if mode == Pipelining::NotOffered {
        server.without_pipelining();
    }
    let url = url::Url::parse(&server.url()).unwrap();
    let endpoint = Endpoint::from_url(&url, None).unwrap();
    let endpoint = match mode {
        Pipelining::NotUsed => endpoint.without_pipelining(),
        _ => endpoint,
    };
    Pool::new(endpoint, 1)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pipelining {
    Offered,
    NotOffered,
    NotUsed,
}

const MODES: [Pipelining; 3] = [
    Pipelining::Offered,
    Pipelining::NotOffered,
    Pipelining::NotUsed,
];

/// Message `n` to `to`: a Message-ID of its own and a body that needs dot-stuffing and
/// transfer encoding.
fn message(n: usize, to: &str) -> Message {
    let from: Mailbox = "Tocsin <alerts@tocsin.test>".parse().unwrap();
    Message::builder()
        .from(from)
        .to(to.parse().unwrap())
        .subject(format!("Notice {n}"))
        .message_id(Some(format!("<m{n}@tocsin.test>")))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body(n))
        .unwrap()
}

fn body(n: usize) -> String {
    format!(
        "Notice number {n} for you.\n.\n..a line that starts with dots\n{}\nGrüße — Ende {n}\n",
        "x".repeat(n % 300)
    )
}

async fn send(pool: &Pool, m: &Message) -> Result<String, tocsin::delivery::smtp::SendError> {
    pool.send(m.envelope(), &m.formatted())
        .await
        .map(|r| r.code().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_messages_over_few_connections_arrive_intact_and_once() {
    let server = SmtpServer::start();
    let pool = pool(&server, 4, None);
    let n = 400;
    let messages: Vec<Message> = (0..n)
        .map(|i| message(i, &format!("p{i}@example.org")))
        .collect();
    let results = futures::future::join_all(messages.iter().map(|m| send(&pool, m))).await;
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.as_deref().ok(), Some("250"), "message {i}: {r:?}");
    }
    let got = server.wait_for_async(n, WAIT).await;
    assert_eq!(got.len(), n, "each message once");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &got {
        let id = m.header("Message-ID").unwrap();
        let i: usize = id
            .trim_matches(['<', '>', 'm'])
            .split('@')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(m.to, [format!("p{i}@example.org")]);
        assert_eq!(m.text(), body(i).trim_end());
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), n);
    assert!(seen.values().all(|&c| c == 1));
    assert!(
        server.connections() <= 4,
        "{} connections",
        server.connections()
    );
    assert!(pool.dialled() <= 4);
    assert_eq!(
        server.pipelined(),
        n,
        "MAIL, RCPT and DATA in one write each time (PIPELINING)"
    );
    // 400 messages queued at once on 4 connections: after each connection's first, the next
    // message's envelope went out with the data of the one before.
    assert!(
        pool.rode_along() >= (n - 4) as u64 / 2,
        "{} of {n} rode along",
        pool.rode_along()
    );
}

/// Messages queued behind each other on one connection, some refused at RCPT, at DATA's end
/// or by a 421 that closes it: each gets its own outcome, the next message's envelope riding
/// along with each message's data, and nothing is sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_between_messages_riding_along_stay_with_their_message() {
    let server = SmtpServer::start();
    server.reject("gone@example.org", 550);
    server.defer("later@example.org", 1);
    server.close_on("closing@example.org", 421, 1);
    let pool = pool(&server, 1, None);
    let to = [
        "a@example.org",
        "gone@example.org",
        "b@example.org",
        "later@example.org",
        "c@example.org",
        "closing@example.org",
        "d@example.org",
    ];
    let messages: Vec<Message> = to.iter().enumerate().map(|(i, t)| message(i, t)).collect();
    let results = futures::future::join_all(messages.iter().map(|m| send(&pool, m))).await;
    let codes: Vec<Option<u16>> = results
        .iter()
        .map(|r| match r {
            Ok(_) => None,
            Err(e) => e.code(),
        })
        .collect();
    assert_eq!(
        codes,
        [None, Some(550), None, Some(451), None, None, None],
        "{results:?}"
    );
    let got = server.wait_for_async(5, WAIT).await;
    let mut arrived: Vec<&str> = got.iter().map(|m| m.to[0].as_str()).collect();
    arrived.sort();
    assert_eq!(
        arrived,
        [
            "a@example.org",
            "b@example.org",
            "c@example.org",
            "closing@example.org",
            "d@example.org"
        ],
        "each once; the one refused with 421 went again on a new connection"
    );
    assert!(pool.rode_along() > 0, "messages rode along");
    assert_eq!(server.connections(), 2, "one more for the 421");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_pipelining_each_command_waits_for_its_reply() {
    for mode in [Pipelining::NotOffered, Pipelining::NotUsed] {
        let server = SmtpServer::start();
        let pool = pool_in(&server, mode);
        for i in 0..5 {
            let r = send(&pool, &message(i, &format!("p{i}@example.org"))).await;
            assert_eq!(r.as_deref().ok(), Some("250"), "{mode:?}: {r:?}");
        }
        let got = server.wait_for_async(5, WAIT).await;
        assert_eq!(got[4].text(), body(4).trim_end(), "{mode:?}");
        assert_eq!(server.pipelined(), 0, "{mode:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_outcomes_and_the_connection_is_kept_with_rset() {
    for mode in MODES {
        refusals_in(mode).await;
    }
}

async fn refusals_in(mode: Pipelining) {
    let server = SmtpServer::start();
    server.reject("gone@example.org", 550);
    server.defer("later@example.org", 1);
    let pool = pool_in(&server, mode);
    send(&pool, &message(1, "a@example.org")).await.unwrap();
    let e = send(&pool, &message(2, "gone@example.org"))
        .await
        .unwrap_err();
    assert!(e.is_permanent(), "{mode:?}: {e}");
    assert_eq!(e.code(), Some(550), "{mode:?}");
    let e = send(&pool, &message(3, "later@example.org"))
        .await
        .unwrap_err();
    assert!(!e.is_permanent(), "{mode:?}: {e}");
    assert_eq!(e.code(), Some(451), "{mode:?}");
    send(&pool, &message(4, "later@example.org")).await.unwrap();
    let got = server.wait_for_async(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].to, ["later@example.org"]);
    assert_eq!(
        server.connections(),
        1,
        "{mode:?}: RSET, not a new connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_421_mid_stream_and_a_cut_connection_are_redialled() {
    for mode in MODES {
        redialled_in(mode).await;
    }
}

async fn redialled_in(mode: Pipelining) {
    let server = SmtpServer::start();
    let pool = pool_in(&server, mode);
    send(&pool, &message(1, "a@example.org")).await.unwrap();
    // The server goes away in the middle of the next conversation: 421 and close.
    server.close_on("b@example.org", 421, 1);
    send(&pool, &message(2, "b@example.org")).await.unwrap();
    assert_eq!(server.rejections(), [("b@example.org".to_string(), 421)]);
    assert_eq!(
        server.connections(),
        2,
        "{mode:?}: the message went on a new connection"
    );
    // Every connection is cut while idle in the pool.
    server.drop_connections();
    send(&pool, &message(3, "c@example.org")).await.unwrap();
    assert_eq!(server.connections(), 3, "{mode:?}");
    // A 421 on a new connection is a temporary failure for the dispatcher to retry.
    server.close_on("d@example.org", 421, 2);
    let e = send(&pool, &message(4, "d@example.org")).await.unwrap_err();
    assert!(!e.is_permanent() && e.code() == Some(421), "{mode:?}: {e}");
    send(&pool, &message(4, "d@example.org")).await.unwrap();
    let got = server.wait_for_async(4, WAIT).await;
    let to: Vec<&str> = got.iter().map(|m| m.to[0].as_str()).collect();
    assert_eq!(
        to,
        [
            "a@example.org",
            "b@example.org",
            "c@example.org",
            "d@example.org"
        ],
        "{mode:?}: each once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_smtps_with_the_relays_own_ca() {
    for mode in [TlsMode::StartTls, TlsMode::Implicit] {
        let server = SmtpServer::start_tls(mode);
        // Without the CA the certificate is refused, and nothing is sent.
        let untrusted = pool(&server, 1, None);
        let e = send(&untrusted, &message(0, "a@example.org"))
            .await
            .unwrap_err();
        assert!(!e.is_permanent(), "{mode:?}: {e}");
        let trusted = pool(&server, 2, Some(&server.ca_pem()));
        for i in 1..=3 {
            send(&trusted, &message(i, "a@example.org")).await.unwrap();
        }
        let got = server.wait_for_async(3, WAIT).await;
        assert_eq!(got.len(), 3, "{mode:?}");
        assert!(got.iter().all(|m| m.tls), "{mode:?}: all over TLS");
        assert_eq!(got[2].text(), body(3).trim_end());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_says_quit_on_every_connection() {
    let server = SmtpServer::start();
    let pool = pool(&server, 3, None);
    let messages: Vec<Message> = (0..6).map(|i| message(i, "a@example.org")).collect();
    futures::future::join_all(messages.iter().map(|m| send(&pool, m))).await;
    assert!(server.open_connections() >= 1);
    pool.close().await;
    server.wait_for_open_async(0, WAIT).await;
}

/// Through the app: five people, two connections at most, one 421 in the middle; each gets
/// their notice once.
async fn the_app_sends_through_the_pool(app: TestApp, smtp: SmtpServer) {
    smtp.close_on("bruno@example.com", 421, 1);
    let t = team(&app).await;
    let id = scoped_and_approved(&app, &t).await;
    let (status, _) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202);
    app.dispatcher().run_until_idle().await.unwrap();
    let (_, del) = app
        .get(&format!("/api/v1/incidents/{id}/delivery"), &t.viewer)
        .await;
    assert_eq!(del["sent"], 4, "{del}");
    let got = smtp.received();
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (4, 4), "each once");
    assert!(smtp.connections() <= 3, "{}", smtp.connections());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_sends_through_the_pool_sqlite() {
    let env = [("TOCSIN_SEND_CONCURRENCY", "2")];
    with_smtp_opts(Backend::Sqlite, &env, the_app_sends_through_the_pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_sends_through_the_pool_postgres() {
    let env = [("TOCSIN_SEND_CONCURRENCY", "2")];
    with_smtp_opts(Backend::Postgres, &env, the_app_sends_through_the_pool).await;
}

/// The app over smtps:// with `TOCSIN_SMTP_CA_FILE`.
async fn the_app_sends_over_smtps(backend: Backend) {
    let smtp = SmtpServer::start_tls(TlsMode::Implicit);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("relay-ca.pem");
    std::fs::write(&ca, smtp.ca_pem()).unwrap();
    let url = smtp.url();
    let ca = ca.display().to_string();
    let env = [
        ("TOCSIN_SMTP_URL", url.as_str()),
        ("TOCSIN_SMTP_CA_FILE", ca.as_str()),
        ("TOCSIN_RETRY_BASE_MS", "0"),
    ];
    let Some(app) = TestApp::spawn_with(backend, &env).await else {
        return;
    };
    let t = team(&app).await;
    let id = scoped_and_approved(&app, &t).await;
    app.act(id, "dispatch", &t.responder).await;
    app.dispatcher().run_until_idle().await.unwrap();
    let got = smtp.wait_for_async(4, WAIT).await;
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|m| m.tls));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_sends_over_smtps_sqlite() {
    the_app_sends_over_smtps(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_sends_over_smtps_postgres() {
    the_app_sends_over_smtps(Backend::Postgres).await;
}

/// A server that holds a message's final reply holds the message whose envelope rode along
/// with it; when the timeout gives up on the first (a temporary failure), the second goes on a
/// new connection, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_reply_holds_the_message_behind_it_until_the_timeout_then_it_goes_on_a_new_connection(
) {
    let server = SmtpServer::start();
    server.hold("slow@example.org");
    let url = url::Url::parse(&server.url()).unwrap();
    let mut endpoint = Endpoint::from_url(&url, None).unwrap();
    endpoint.timeout = Duration::from_millis(500);
    let pool = Pool::new(endpoint, 1);
    let messages = [
        message(0, "slow@example.org"),
        message(1, "next@example.org"),
    ];
    let results = futures::future::join_all(messages.iter().map(|m| send(&pool, m))).await;
    let e = results[0].as_ref().unwrap_err();
    assert!(!e.is_permanent() && e.code().is_none(), "{e}");
    assert_eq!(results[1].as_deref().ok(), Some("250"), "{results:?}");
    assert_eq!(pool.rode_along(), 1, "the second rode along with the first");
    let got = server.wait_for_async(1, WAIT).await;
    assert_eq!(got[0].to, ["next@example.org"]);
    assert_eq!(server.connections(), 2);
    server.release();
}
