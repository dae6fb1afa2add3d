//! The server's own limits, seen from a raw TCP client: a request head or body that does not
//! arrive in time gets the connection closed; `/metrics` behind its token.
use crate::helpers::{Backend, TestApp};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads until the server closes the connection; what it sent first. (The outer timeout only
/// stops a broken server from hanging the suite: the server's own timeout is 1 s.)
async fn read_until_closed(s: &mut tokio::net::TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_drops_a_client_that_does_not_finish_its_request_head() {
    let Some(app) =
        TestApp::spawn_with(Backend::Sqlite, &[("TOCSIN_HEADER_TIMEOUT_SECS", "1")]).await
    else {
        return;
    };
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_until_closed(&mut s).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    // A client that finishes in time is served on the same server.
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // A client that connects and says nothing is dropped too.
    let mut idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    assert_eq!(read_until_closed(&mut idle).await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_drops_a_client_that_stalls_in_its_body() {
    let Some(app) =
        TestApp::spawn_with(Backend::Sqlite, &[("TOCSIN_BODY_TIMEOUT_SECS", "1")]).await
    else {
        return;
    };
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\":",
        app.admin_token
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut s).await;
    let status = answer.split(' ').nth(1).unwrap_or_default();
    assert!(
        status.starts_with('4'),
        "a client error, then closed: {answer}"
    );
    assert_eq!(app.count("incidents").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_runs_past_the_request_timeout_gets_503() {
    // The body trickles within its own (long) timeout; the request as a whole runs out.
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("TOCSIN_REQUEST_TIMEOUT_SECS", "1"),
            ("TOCSIN_BODY_TIMEOUT_SECS", "600"),
        ],
    )
    .await
    else {
        return;
    };
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\":",
        app.admin_token
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_lowercase().contains("x-request-id"), "{answer}");
    assert_eq!(app.count("incidents").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_want_the_token_when_one_is_set() {
    let token = "scrape-token-0123456789";
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, &[("TOCSIN_METRICS_TOKEN", token)]).await
    else {
        return;
    };
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("tocsin_http_requests_total"));
    // Health checks stay open.
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
