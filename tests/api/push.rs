//! The push channel end to end: incidents on push reach people's devices through local FCM,
//! APNs and Web Push servers (tests/api/providers), on SQLite and PostgreSQL.
mod support;

use crate::helpers::Backend;
use crate::providers::webpush::WebPushServer;
use crate::providers::{apns::Answer as Apns, fcm::Answer as Fcm, webpush::Answer as WebPush};
use serde_json::{json, Value};
use support::*;

/// Ann has a phone on FCM, an iPhone on APNs and a browser on Web Push: each gets the
/// notice's title, body and link through its provider, and the browser's copy decrypts with
/// an independent RFC 8291 implementation.
async fn an_incident_on_push_reaches_each_device_of_a_person_through_its_provider(
    backend: Backend,
) {
    let Some((app, p)) = start(backend).await else {
        return;
    };
    let browser = p.webpush.subscribe("ann-laptop");
    let iphone = apns_token(1);
    import(
        &app,
        &[
            ("ann", "fcm", "fcm-ann-phone"),
            ("ann", "apns", &iphone),
            ("ann", "webpush", &browser.token),
        ],
    )
    .await;
    let id = notify(&app, &["push"], &["ann"]).await;
    let (_, title, body) = push_notice(&app, id, "ann").await;
    let link = link(&app, id, "ann").await;
    assert!(!title.is_empty() && !body.is_empty());

    let fcm = p.fcm.messages_to("fcm-ann-phone");
    assert_eq!(fcm.len(), 1, "{fcm:?}");
    assert_eq!(
        fcm[0]["notification"],
        json!({"title": title, "body": body})
    );
    assert_eq!(fcm[0]["data"]["url"], link);
    assert_eq!(p.fcm.token_requests(), 1);
    assert_eq!(p.fcm.refused_assertions(), Vec::<String>::new());

    let apns = p.apns.requests_to(&iphone);
    assert_eq!(apns.len(), 1, "{apns:?}");
    assert_eq!(apns[0].version, axum::http::Version::HTTP_2);
    assert_eq!(
        (apns[0].push_type.as_str(), apns[0].priority.as_str()),
        ("alert", "10")
    );
    assert_eq!(
        apns[0].payload["aps"]["alert"],
        json!({"title": title, "body": body})
    );
    assert_eq!(apns[0].payload["url"], link);
    assert_eq!(
        p.apns.refusals(),
        Vec::<String>::new(),
        "provider token and topic accepted"
    );

    let web = p.webpush.messages_to("ann-laptop");
    assert_eq!(web.len(), 1);
    assert!(web[0].vapid.is_ok(), "{:?}", web[0].vapid);
    assert_eq!(web[0].headers["content-encoding"], "aes128gcm");
    assert_eq!(web[0].headers["urgency"], "high");
    assert_eq!(web[0].headers["ttl"], "86400");
    assert!(
        !web[0]
            .body
            .windows(title.len())
            .any(|w| w == title.as_bytes()),
        "encrypted"
    );

    let d = deliveries(&app, id).await;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].channel.as_str(), d[0].status.as_str()),
        ("push", "sent")
    );
    let reference = d[0].reference.clone().unwrap();
    for part in [
        format!("fcm projects/{}/messages/", crate::providers::fcm::PROJECT),
        format!("apns {}", apns[0].apns_id),
        format!("webpush {}/message/", p.webpush.origin()),
    ] {
        assert!(reference.contains(&part), "{reference} has {part}");
    }

    if let Some(python) = crate::wire::python() {
        let out = crate::wire::check(
            python,
            "decrypt",
            json!({"body": b64url(&web[0].body), "ua_private": browser.private_key, "auth": browser.auth}),
        );
        let plaintext: Value =
            serde_json::from_slice(&unb64url(out["plaintext"].as_str().unwrap())).unwrap();
        assert_eq!(
            plaintext,
            json!({"title": title, "body": body, "url": link})
        );
    }
}

/// Devices FCM calls UNREGISTERED and Web Push answers 410 are marked dead: a notice
/// composed before they died does not go to them, and a later composition leaves them out.
async fn devices_a_provider_says_are_gone_are_never_used_again(backend: Backend) {
    let Some((app, p)) = start(backend).await else {
        return;
    };
    let browser = p.webpush.subscribe("ann-old-laptop");
    let iphone = apns_token(2);
    import(
        &app,
        &[
            ("ann", "fcm", "fcm-ann-old"),
            ("ann", "webpush", &browser.token),
            ("ann", "apns", &iphone),
        ],
    )
    .await;
    p.fcm.script("fcm-ann-old", &[Fcm::Unregistered]);
    p.webpush.script("ann-old-laptop", &[WebPush::Gone]);
    let composed_before = compose(&app, &["push"], &["ann"]).await;
    let first = notify(&app, &["push"], &["ann"]).await;
    let d = deliveries(&app, first).await;
    assert_eq!(d[0].status, "sent", "the iPhone took it: {d:?}");
    let mut gone = vec!["fcm-ann-old".to_string(), browser.token.clone()];
    gone.sort();
    assert_eq!(dead_tokens(&app).await, gone);

    let (before, _, _) = push_notice(&app, composed_before, "ann").await;
    assert_eq!(
        before.split(',').count(),
        3,
        "composed while all three lived"
    );
    dispatch(&app, composed_before).await;
    app.drain().await;
    let later = notify(&app, &["push"], &["ann"]).await;
    let (recipient, _, _) = push_notice(&app, later, "ann").await;
    assert_eq!(recipient, device_id(&app, &iphone).await);
    assert_eq!(
        p.fcm.messages_to("fcm-ann-old").len(),
        1,
        "only the first incident"
    );
    assert_eq!(p.webpush.messages_to("ann-old-laptop").len(), 1);
    assert_eq!(p.apns.requests_to(&iphone).len(), 3, "one per incident");
}

/// A subscription naming a push service nobody allowed is never contacted; the device is a
/// permanent failure for this person, not a dead device. The allowed service gets its message.
async fn a_web_push_endpoint_outside_the_allow_list_gets_no_request(backend: Backend) {
    let Some((app, p)) = start(backend).await else {
        return;
    };
    let elsewhere = WebPushServer::start().await;
    let stray = elsewhere.subscribe("bea-browser");
    let allowed = p.webpush.subscribe("cem-browser");
    import(
        &app,
        &[
            ("bea", "webpush", &stray.token),
            ("cem", "webpush", &allowed.token),
        ],
    )
    .await;
    let id = notify(&app, &["push"], &["bea", "cem"]).await;
    assert_eq!(
        elsewhere.messages().len(),
        0,
        "no request leaves for an unlisted origin"
    );
    assert_eq!(p.webpush.messages_to("cem-browser").len(), 1);
    let d = deliveries(&app, id).await;
    let bea = d.iter().find(|d| d.person == "bea").unwrap();
    assert_eq!(bea.status, "unreachable", "{d:?}");
    let error = bea.error.clone().unwrap();
    assert!(error.contains("not a known push service"), "{error}");
    assert!(
        !error.contains("bea-browser"),
        "no endpoint in the reason: {error}"
    );
    assert_eq!(dead_tokens(&app).await, Vec::<String>::new());
}

/// A retried delivery is the same notification to Apple (its apns-id), and another person's
/// is a different one.
async fn apns_sees_the_same_apns_id_when_a_delivery_is_retried(backend: Backend) {
    let Some((app, p)) = start(backend).await else {
        return;
    };
    let (dan, eve) = (apns_token(4), apns_token(5));
    import(&app, &[("dan", "apns", &dan), ("eve", "apns", &eve)]).await;
    p.apns.script(&dan, &[Apns::InternalServerError]);
    let id = notify(&app, &["push"], &["dan", "eve"]).await;
    let tries = p.apns.requests_to(&dan);
    assert_eq!(tries.len(), 2, "{tries:?}");
    assert_eq!(tries[0].apns_id, tries[1].apns_id);
    assert_ne!(p.apns.requests_to(&eve)[0].apns_id, tries[0].apns_id);
    let d = deliveries(&app, id).await;
    let dan = d.iter().find(|d| d.person == "dan").unwrap();
    assert_eq!((dan.status.as_str(), dan.attempts), ("sent", 2), "{d:?}");
}

/// Forty concurrent sends share one access token (one dispatcher, as `tocsin serve` runs); when FCM revokes it mid-run, one new token
/// is fetched for all of them and the refused send goes through on it.
async fn one_fcm_access_token_serves_many_sends_and_a_revoked_one_is_replaced_once(
    backend: Backend,
) {
    let Some((app, p)) = start(backend).await else {
        return;
    };
    let people: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
    let tokens: Vec<String> = people.iter().map(|id| format!("fcm-{id}")).collect();
    let rows: Vec<(&str, &str, &str)> = people
        .iter()
        .zip(&tokens)
        .map(|(id, t)| (id.as_str(), "fcm", t.as_str()))
        .collect();
    import(&app, &rows).await;
    let ids: Vec<&str> = people.iter().map(String::as_str).collect();
    let dispatcher = app.dispatcher();
    let first = compose(&app, &["push"], &ids).await;
    dispatch(&app, first).await;
    dispatcher.run_until_idle().await.unwrap();
    assert_eq!(p.fcm.messages().len(), 40);
    assert_eq!(p.fcm.token_requests(), 1, "one token for forty sends");
    assert!(deliveries(&app, first)
        .await
        .iter()
        .all(|d| d.status == "sent"));

    p.fcm.script("fcm-f7", &[Fcm::Unauthenticated]);
    let second = compose(&app, &["push"], &ids).await;
    dispatch(&app, second).await;
    dispatcher.run_until_idle().await.unwrap();
    assert_eq!(
        p.fcm.token_requests(),
        2,
        "the revoked token is replaced once"
    );
    assert_eq!(
        p.fcm.messages_to("fcm-f7").len(),
        3,
        "refused, then sent on the new token"
    );
    let d = deliveries(&app, second).await;
    assert!(
        d.iter().all(|d| d.status == "sent" && d.attempts == 1),
        "{d:?}"
    );
}

/// When every device of a person is dead, push is unreachable at once and the next channel
/// of the incident, e-mail, takes over.
async fn push_falls_back_to_email_when_every_device_is_dead(backend: Backend) {
    let Some((app, p)) = start(backend).await else {
        return;
    };
    let iphone = apns_token(6);
    import(&app, &[("fay", "fcm", "fcm-fay"), ("fay", "apns", &iphone)]).await;
    p.fcm.script("fcm-fay", &[Fcm::Unregistered]);
    p.apns.script(&iphone, &[Apns::Unregistered]);
    let id = notify(&app, &["push", "email"], &["fay"]).await;
    let d = deliveries(&app, id).await;
    let statuses: Vec<(&str, &str)> = d
        .iter()
        .map(|d| (d.channel.as_str(), d.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [("push", "unreachable"), ("email", "sent")],
        "{d:?}"
    );
    let mail = d[1].reference.clone().unwrap();
    assert!(std::fs::read_to_string(&mail)
        .unwrap()
        .contains("fay@example.com"));
    let mut gone = vec!["fcm-fay".to_string(), iphone];
    gone.sort();
    assert_eq!(dead_tokens(&app).await, gone);
}

/// With no push provider configured, each push delivery is a JSON file for the owner only,
/// naming the devices and carrying the title, body and link.
async fn without_providers_push_is_written_to_owner_only_json_files(backend: Backend) {
    let Some(app) = crate::helpers::TestApp::spawn(backend).await else {
        return;
    };
    let iphone = apns_token(7);
    import(&app, &[("gus", "fcm", "fcm-gus"), ("gus", "apns", &iphone)]).await;
    let id = notify(&app, &["push"], &["gus"]).await;
    let d = deliveries(&app, id).await;
    assert_eq!(d[0].status, "sent", "{d:?}");
    let file = std::path::PathBuf::from(d[0].reference.clone().unwrap());
    assert!(file.ends_with(format!(
        "push/{}",
        file.file_name().unwrap().to_str().unwrap()
    )));
    assert!(file
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("delivery-"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let (_, title, body) = push_notice(&app, id, "gus").await;
    assert_eq!(written["title"], title);
    assert_eq!(written["body"], body);
    assert_eq!(written["link"], link(&app, id, "gus").await);
    let mut platforms: Vec<&str> = written["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["platform"].as_str().unwrap())
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["apns", "fcm"]);
}

/// The providers' other answers: a provider's Retry-After holds the person's retry back (the
/// longest of their devices'), 404 from a push service and BadDeviceToken from APNs kill the
/// device, 413 fails it without killing it, and outages (FCM 503, APNs 429) are retried.
async fn each_provider_answer_ends_as_documented(backend: Backend) {
    let Some((app, p)) = start(backend).await else {
        return;
    };
    let (lou_web, hal_web, ivy_web) = (
        p.webpush.subscribe("lou"),
        p.webpush.subscribe("hal"),
        p.webpush.subscribe("ivy"),
    );
    let (lou_phone, jon_phone) = (apns_token(8), apns_token(9));
    import(
        &app,
        &[
            ("lou", "fcm", "fcm-lou"),
            ("lou", "webpush", &lou_web.token),
            ("lou", "apns", &lou_phone),
            ("hal", "webpush", &hal_web.token),
            ("ivy", "webpush", &ivy_web.token),
            ("jon", "apns", &jon_phone),
            ("kim", "fcm", "fcm-kim"),
        ],
    )
    .await;
    p.fcm.script("fcm-lou", &[Fcm::QuotaExceeded(600)]);
    p.webpush.script("lou", &[WebPush::TooManyRequests(60)]);
    p.apns.script(&lou_phone, &[Apns::BadDeviceToken]);
    p.webpush.script("hal", &[WebPush::NotFound]);
    p.webpush.script("ivy", &[WebPush::TooLarge]);
    p.apns.script(&jon_phone, &[Apns::TooManyRequests]);
    p.fcm.script("fcm-kim", &[Fcm::Unavailable]);
    let id = compose(&app, &["push"], &["lou", "hal", "ivy", "jon", "kim"]).await;
    dispatch(&app, id).await;
    let started = chrono::Utc::now();
    app.dispatcher().run_until_idle().await.unwrap();

    let d = deliveries(&app, id).await;
    let of = |who: &str| d.iter().find(|d| d.person == who).unwrap();
    assert_eq!(
        (of("hal").status.as_str(), of("ivy").status.as_str()),
        ("unreachable", "unreachable")
    );
    assert_eq!(
        (of("jon").status.as_str(), of("jon").attempts),
        ("sent", 2),
        "{d:?}"
    );
    assert_eq!(
        (of("kim").status.as_str(), of("kim").attempts),
        ("sent", 2),
        "{d:?}"
    );
    assert_eq!(of("lou").status, "pending", "{d:?}");
    let sql = "SELECT d.next_attempt_at FROM deliveries d JOIN subjects s ON s.id = d.subject_id \
               WHERE s.external_id = 'lou'";
    let row = sea_orm::ConnectionTrait::query_one(&app.db, stmt(&app, sql))
        .await
        .unwrap()
        .unwrap();
    let next: chrono::DateTime<chrono::Utc> = row.try_get("", "next_attempt_at").unwrap();
    assert!(
        next >= started + chrono::Duration::seconds(600),
        "after FCM's Retry-After: {next}"
    );
    let mut gone = vec![hal_web.token.clone(), lou_phone];
    gone.sort();
    assert_eq!(dead_tokens(&app).await, gone, "413 and 429 kill nothing");
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::helpers::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(crate::helpers::Backend::Postgres).await;
            }
        }
    )*};
}

on_both!(
    an_incident_on_push_reaches_each_device_of_a_person_through_its_provider,
    devices_a_provider_says_are_gone_are_never_used_again,
    a_web_push_endpoint_outside_the_allow_list_gets_no_request,
    apns_sees_the_same_apns_id_when_a_delivery_is_retried,
    one_fcm_access_token_serves_many_sends_and_a_revoked_one_is_replaced_once,
    push_falls_back_to_email_when_every_device_is_dead,
    without_providers_push_is_written_to_owner_only_json_files,
    each_provider_answer_ends_as_documented,
);
