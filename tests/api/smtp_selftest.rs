//! The test SMTP server (`smtp.rs`) against lettre, the client the app uses, and against a raw
//! SMTP conversation.
use crate::smtp::SmtpServer;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn mailer(server: &SmtpServer) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&server.url())
        .expect("smtp:// URL")
        .build()
}

fn mbox(s: &str) -> Mailbox {
    s.parse().expect("mailbox")
}

fn plain(to: &str, subject: &str, body: &str) -> Message {
    Message::builder()
        .from(mbox("Tocsin <alerts@tocsin.test>"))
        .to(mbox(to))
        .subject(subject)
        .singlepart(SinglePart::plain(body.to_string()))
        .expect("message")
}

async fn send(mailer: &AsyncSmtpTransport<Tokio1Executor>, msg: Message) -> Result<(), SmtpError> {
    mailer.send(msg).await.map(|_| ())
}

#[tokio::test]
async fn multipart_alternative_with_non_ascii_text_is_decoded() {
    let server = SmtpServer::start();
    assert!(server.url().starts_with("smtp://127.0.0.1:"));
    // Long non-ASCII lines force quoted-printable soft breaks (or base64) on the wire.
    let text =
        "Grüße, Zoë!\n\nIhre Daten (Name, E-Mail-Adresse) waren von einem Sicherheitsvorfall \
                betroffen — bitte ändern Sie Ihr Passwort. 漢字 ✓\n.\n..Punkt am Zeilenanfang\n";
    let html = "<p>Grüße, Zoë!</p>\n<p>Ihre Daten waren von einem Sicherheitsvorfall betroffen — \
                bitte ändern Sie Ihr Passwort. 漢字 ✓</p>\n";
    let subject = "Sicherheitsvorfall: Ihre Daten — Maßnahmen";
    let msg = Message::builder()
        .from(mbox("Tocsin <alerts@tocsin.test>"))
        .to(mbox("Zoë Müller <zoe@example.org>"))
        .cc(mbox("dpo@example.org"))
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(
            text.to_string(),
            html.to_string(),
        ))
        .expect("message");
    send(&mailer(&server), msg).await.expect("send");

    let got = server.wait_for_async(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.from, "alerts@tocsin.test");
    assert_eq!(m.to, ["zoe@example.org", "dpo@example.org"]);
    assert_eq!(m.content_type(), "multipart/alternative");
    assert_eq!(
        m.part_types(),
        ["multipart/alternative", "text/plain", "text/html"]
    );
    assert_eq!(m.header("subject").as_deref(), Some(subject));
    assert_eq!(
        m.header("To").as_deref(),
        Some("Zoë Müller <zoe@example.org>")
    );
    // text() and html() drop trailing newlines.
    assert_eq!(m.text(), text.trim_end());
    assert_eq!(m.html(), html.trim_end());
    assert!(m.raw.is_ascii(), "lettre transfer-encodes non-ASCII bodies");
    assert!(server.rejections().is_empty());
}

#[tokio::test]
async fn rejected_recipient_is_a_permanent_error() {
    let server = SmtpServer::start();
    server.reject("Gone@Example.ORG", 550);
    let mailer = mailer(&server);

    let err = send(&mailer, plain("gone@example.org", "Hi", "Hi"))
        .await
        .expect_err("550 must fail");
    assert!(err.is_permanent(), "{err}");
    assert_eq!(err.status().map(u16::from), Some(550));
    assert_eq!(server.rejections(), [("gone@example.org".to_string(), 550)]);

    // The pool recovers: the next message, to someone else, goes through.
    send(&mailer, plain("fine@example.org", "Hi", "Hi"))
        .await
        .expect("send to an accepted recipient");
    let got = server.wait_for_async(1, WAIT).await;
    assert_eq!(got[0].to, ["fine@example.org"]);
}

#[tokio::test]
async fn deferred_recipient_is_transient_then_accepted() {
    let server = SmtpServer::start();
    server.defer("slow@example.org", 2);
    let mailer = mailer(&server);

    for attempt in 1..=2 {
        let err = send(&mailer, plain("SLOW@example.org", "Retry me", "body"))
            .await
            .expect_err("451 must fail");
        assert!(err.is_transient(), "attempt {attempt}: {err}");
        assert!(!err.is_permanent());
        assert_eq!(err.status().map(u16::from), Some(451));
    }
    send(&mailer, plain("SLOW@example.org", "Retry me", "body"))
        .await
        .expect("third attempt is accepted");

    let got = server.wait_for_async(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["SLOW@example.org"]);
    assert_eq!(got[0].text(), "body");
    assert_eq!(
        server.wait_for_rejections_async(2, WAIT).await,
        [
            ("SLOW@example.org".to_string(), 451),
            ("SLOW@example.org".to_string(), 451)
        ]
    );
}

#[tokio::test]
async fn pooled_connection_carries_several_messages() {
    let server = SmtpServer::start();
    let mailer = mailer(&server);
    // ASCII text goes as 7bit, so these lines are dot-stuffed on the wire.
    let dotted = ".hidden\n..two\n.\nend\n";
    send(&mailer, plain("a@example.org", "first", "one"))
        .await
        .expect("first");
    // lettre returns a connection to its pool from a spawned task: let it run (on this
    // current-thread runtime one yield does it), or the second send opens a new connection.
    tokio::task::yield_now().await;
    send(&mailer, plain("b@example.org", "second", dotted))
        .await
        .expect("second");

    let got = server.wait_for_async(2, WAIT).await;
    assert_eq!(server.connections(), 1, "both went over one connection");
    assert_eq!(got[0].header("Subject").as_deref(), Some("first"));
    assert_eq!(got[0].content_type(), "text/plain");
    assert_eq!(got[0].text(), "one");
    assert_eq!(got[1].to, ["b@example.org"]);
    assert_eq!(got[1].text(), dotted.trim_end());
    // Sent as "..hidden", "...two", "..": unstuffed again.
    assert!(got[1]
        .raw
        .contains("\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connections() {
    let server = SmtpServer::start();
    // Two transports: two connections, both open (idle in their pools) at once.
    let (a, b) = (mailer(&server), mailer(&server));
    for (i, m) in [&a, &b, &a, &b].into_iter().enumerate() {
        send(m, plain("x@example.org", &format!("seq {i}"), "x"))
            .await
            .expect("send");
    }
    assert_eq!(server.connections(), 2);

    // And concurrent sends through one pool.
    let sends = (0..8).map(|i| send(&a, plain(&format!("r{i}@example.org"), "par", "x")));
    for result in futures::future::join_all(sends).await {
        result.expect("concurrent send");
    }
    let got = server.wait_for_async(12, WAIT).await;
    let mut to: Vec<String> = got[4..].iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    let want: Vec<String> = (0..8).map(|i| format!("r{i}@example.org")).collect();
    assert_eq!(to, want);
}

#[test]
#[should_panic(expected = "for 1 message(s), got 0")]
fn wait_for_times_out_listing_what_arrived() {
    let server = SmtpServer::start();
    server.wait_for(1, Duration::from_millis(50));
}

/// A hand-typed session: RSET discards a transaction, several recipients, dot-unstuffing, NOOP,
/// HELO, QUIT, and replies a strict client would check.
#[test]
fn raw_protocol_conversation() {
    let server = SmtpServer::start();
    server.reject("no@example.org", 550);
    let stream = TcpStream::connect(server.addr()).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    // Returns the whole (possibly multi-line) reply.
    let mut reply = || {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).expect("reply");
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    };
    let mut say = |cmd: &str| w.write_all(cmd.as_bytes()).expect("write");

    assert!(reply().starts_with("220 "));
    say("EHLO client.test\r\n");
    let ehlo = reply();
    assert!(
        ehlo.starts_with("250-") && ehlo.contains("8BITMIME"),
        "{ehlo}"
    );
    assert!(!ehlo.to_ascii_uppercase().contains("STARTTLS"), "{ehlo}");
    say("NOOP\r\n");
    assert!(reply().starts_with("250 "));

    say("MAIL FROM:<dropped@example.org>\r\n");
    assert!(reply().starts_with("250 "));
    say("RCPT TO:<dropped@example.org>\r\n");
    assert!(reply().starts_with("250 "));
    say("RSET\r\n");
    assert!(reply().starts_with("250 "));
    say("DATA\r\n");
    assert!(
        reply().starts_with("503 "),
        "DATA after RSET is out of sequence"
    );

    say("MAIL FROM:<sender@example.org>\r\n");
    assert!(reply().starts_with("250 "));
    say("RCPT TO:<one@example.org>\r\n");
    assert!(reply().starts_with("250 "));
    say("RCPT TO:<NO@example.org>\r\n");
    assert!(reply().starts_with("550 "));
    say("RCPT TO:<two@example.org>\r\n");
    assert!(reply().starts_with("250 "));
    say("DATA\r\n");
    assert!(reply().starts_with("354 "));
    say("Subject: raw\r\n\r\n..leading dot\r\n...\r\nlast\r\n.\r\n");
    assert!(reply().starts_with("250 "));

    say("HELO again.test\r\n");
    assert!(reply().starts_with("250 "));
    say("QUIT\r\n");
    assert!(reply().starts_with("221 "));

    let got = server.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "the RSET transaction was not delivered");
    assert_eq!(got[0].from, "sender@example.org");
    assert_eq!(got[0].to, ["one@example.org", "two@example.org"]);
    assert_eq!(
        got[0].raw,
        "Subject: raw\r\n\r\n.leading dot\r\n..\r\nlast\r\n"
    );
    assert_eq!(got[0].text(), ".leading dot\n..\nlast");
    assert_eq!(server.rejections(), [("NO@example.org".to_string(), 550)]);
}
