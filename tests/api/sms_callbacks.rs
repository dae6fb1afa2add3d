//! Twilio's status callbacks (`POST /api/v1/delivery/sms/status`): signed reports move a sent
//! SMS to delivered or undelivered (then the person's next channel is tried); anything not
//! signed with our token, or not for our account, is refused and changes nothing.
use crate::helpers::TestApp;
use crate::providers::twilio::{self, Request, TwilioServer, TOKEN};
use crate::sms::{delivery, dispatched, rows, ANA};
use crate::smtp::SmtpServer;

/// Ana's SMS, sent (on an incident that falls back to e-mail).
async fn ana_texted(app: &TestApp, twilio: &TwilioServer) -> (crate::flow::Team, i64, Request) {
    let (t, id) = dispatched(app, &["sms", "email"], &["s-a"]).await;
    app.drain().await;
    let sent = twilio.accepted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to(), ANA);
    (t, id, sent[0].clone())
}

async fn statuses(app: &TestApp, id: i64) -> Vec<(String, String)> {
    rows(app, id)
        .await
        .into_iter()
        .map(|r| (r.channel, r.status))
        .collect()
}

type Form = Vec<(String, String)>;

fn pair(channel: &str, status: &str) -> (String, String) {
    (channel.to_owned(), status.to_owned())
}

async fn a_signed_undelivered_report_moves_the_sms_and_falls_back(
    app: TestApp,
    twilio: TwilioServer,
    smtp: SmtpServer,
) {
    let (t, id, sent) = ana_texted(&app, &twilio).await;
    assert!(smtp.received().is_empty(), "SMS first");
    let (status, body) = twilio.report(&sent, "undelivered", Some(30005)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Response/>"), "empty TwiML: {body}");
    let rows = rows(&app, id).await;
    assert_eq!(rows[0].status, "undelivered", "{rows:?}");
    assert!(rows[0].last_error.as_deref().unwrap().contains("30005"));
    assert_eq!(
        (rows[1].channel.as_str(), rows[1].status.as_str()),
        ("email", "pending"),
        "the next channel is queued with it: {rows:?}"
    );
    app.drain().await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["ana@example.com"]);
    let del = delivery(&app, &t, id).await;
    assert_eq!(del["sent"], 1, "{del}");
    assert_eq!(del["by_channel"]["sms"]["undelivered"], 1, "{del}");
    assert_eq!(del["by_channel"]["email"]["sent"], 1, "{del}");
    // A late duplicate changes nothing and queues nothing more.
    let (status, _) = twilio.report(&sent, "undelivered", Some(30005)).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.count(&format!("deliveries WHERE incident_id = {id}"))
            .await,
        2
    );
}

async fn a_signed_delivered_report_marks_the_sms_delivered(
    app: TestApp,
    twilio: TwilioServer,
    smtp: SmtpServer,
) {
    let (t, id, sent) = ana_texted(&app, &twilio).await;
    let (status, _) = twilio.report(&sent, "sent", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        statuses(&app, id).await,
        [pair("sms", "sent")],
        "a status on the way changes nothing"
    );
    let (status, body) = twilio.report(&sent, "delivered", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(statuses(&app, id).await, [pair("sms", "delivered")]);
    let del = delivery(&app, &t, id).await;
    assert_eq!(del["sent"], 1, "{del}");
    assert_eq!(del["by_channel"]["sms"]["sent"], 1, "{del}");
    assert_eq!(del["by_channel"]["sms"]["delivered"], 1, "{del}");
    app.drain().await;
    assert!(
        smtp.received().is_empty(),
        "no fallback for a delivered SMS"
    );
}

async fn reports_not_signed_by_our_token_for_our_account_are_refused(
    app: TestApp,
    twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    let (_, id, sent) = ana_texted(&app, &twilio).await;
    let url = sent.field("StatusCallback").unwrap().to_owned();
    let params = twilio::callback_params(&sent, "undelivered", Some(30005));
    let mut tampered = twilio::callback_params(&sent, "delivered", None);
    let signed_delivered = twilio::sign(TOKEN, &url, &tampered);
    tampered
        .iter_mut()
        .filter(|(k, _)| k == "MessageStatus" || k == "SmsStatus")
        .for_each(|(_, v)| *v = "undelivered".into());
    let mut other_account = params.clone();
    other_account[0].1 = "AC99999999999999999999999999999999".into();
    let attempts: Vec<(&str, Form, Option<String>)> = vec![
        ("no signature", params.clone(), None),
        (
            "another token",
            params.clone(),
            Some(twilio::sign("not-ours", &url, &params)),
        ),
        (
            "another URL",
            params.clone(),
            Some(twilio::sign(
                TOKEN,
                "https://elsewhere.example/status",
                &params,
            )),
        ),
        ("a changed field", tampered, Some(signed_delivered)),
        (
            "another account",
            other_account.clone(),
            Some(twilio::sign(TOKEN, &url, &other_account)),
        ),
        ("garbage", params.clone(), Some("not base64 at all".into())),
    ];
    for (what, form, signature) in attempts {
        let (status, body) = twilio
            .post_callback(&url, &form, signature.as_deref())
            .await;
        assert_eq!(status, 403, "{what}: {body}");
        let err: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(err["error"]["code"], "forbidden", "{what}: {body}");
        assert_eq!(statuses(&app, id).await, [pair("sms", "sent")], "{what}");
    }
    // The same report, properly signed, is taken: the refusals above were the signature's.
    let (status, _) = twilio.report(&sent, "undelivered", Some(30005)).await;
    assert_eq!(status, 200);
    assert_eq!(statuses(&app, id).await[0], pair("sms", "undelivered"));
}

crate::with_sms_on_both_databases!(
    a_signed_undelivered_report_moves_the_sms_and_falls_back,
    a_signed_delivered_report_marks_the_sms_delivered,
    reports_not_signed_by_our_token_for_our_account_are_refused,
);
