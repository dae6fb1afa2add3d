use super::*;
use crate::delivery::wire::Fault;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Twilio's published example (webhook security docs and its helper libraries' samples).
const DOC_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

fn doc_params(number: &str) -> Vec<(String, String)> {
    params(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", number),
        ("Digits", "1234"),
        ("From", number),
        ("To", "+18005551212"),
    ])
}

#[test]
fn signatures_match_twilios_documented_examples() {
    let p = doc_params("+14158675310");
    assert_eq!(
        signature("12345", DOC_URL, &p),
        "GvWf1cFY/Q7PnoempGyD5oXAezc="
    );
    assert!(verify_signature(
        "12345",
        DOC_URL,
        &p,
        "GvWf1cFY/Q7PnoempGyD5oXAezc="
    ));
    let p = doc_params("+14158675309");
    assert!(verify_signature(
        "12345",
        DOC_URL,
        &p,
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    ));
}

#[test]
fn the_order_parameters_arrive_in_does_not_matter() {
    let mut p = doc_params("+14158675310");
    p.reverse();
    assert!(verify_signature(
        "12345",
        DOC_URL,
        &p,
        "GvWf1cFY/Q7PnoempGyD5oXAezc="
    ));
}

#[test]
fn a_changed_value_url_or_token_fails_verification() {
    let good = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
    let mut p = doc_params("+14158675310");
    p[2].1 = "1235".into();
    assert!(!verify_signature("12345", DOC_URL, &p, good));
    let p = doc_params("+14158675310");
    assert!(!verify_signature("12346", DOC_URL, &p, good));
    assert!(!verify_signature(
        "12345",
        "https://mycompany.com/myapp.php?foo=1",
        &p,
        good
    ));
    let mut extra = p.clone();
    extra.push(("MessageStatus".into(), "delivered".into()));
    assert!(!verify_signature("12345", DOC_URL, &extra, good));
}

#[test]
fn malformed_or_missing_signatures_are_refused() {
    let p = doc_params("+14158675310");
    for header in ["", "not base64!!", "AAAA", "GvWf1cFY/Q7PnoempGyD5oXAezc"] {
        assert!(
            !verify_signature("12345", DOC_URL, &p, header),
            "{header:?}"
        );
    }
    let sig = signature("", DOC_URL, &p);
    assert!(
        !verify_signature("", DOC_URL, &p, &sig),
        "an empty token never verifies"
    );
}

#[test]
fn a_default_port_added_or_removed_by_a_proxy_still_verifies() {
    let p = params(&[
        ("MessageSid", "SM0123456789abcdef"),
        ("MessageStatus", "sent"),
    ]);
    let signed_with_port = signature(
        "tok",
        "https://tocsin.test:443/api/v1/delivery/sms/status",
        &p,
    );
    assert!(verify_signature(
        "tok",
        "https://tocsin.test/api/v1/delivery/sms/status",
        &p,
        &signed_with_port
    ));
    let signed_without = signature("tok", "https://tocsin.test/cb?x=1", &p);
    assert!(verify_signature(
        "tok",
        "https://tocsin.test:443/cb?x=1",
        &p,
        &signed_without
    ));
    // Another port is another URL.
    let other = signature("tok", "https://tocsin.test:8443/cb", &p);
    assert!(!verify_signature(
        "tok",
        "https://tocsin.test/cb",
        &p,
        &other
    ));
}

#[test]
fn a_messaging_service_sender_is_sent_as_messaging_service_sid() {
    let form = message_form(
        "+447700900123",
        &Sender::parse("MG0123456789abcdef0123456789abcdef"),
        "Hi & bye",
        Some("https://tocsin.test/api/v1/delivery/sms/status"),
    );
    let names: Vec<&str> = form.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        ["To", "MessagingServiceSid", "Body", "StatusCallback"]
    );
    let encoded = encode_form(&form);
    assert!(encoded.starts_with("To=%2B447700900123&MessagingServiceSid=MG0123"));
    assert!(encoded.contains("&Body=Hi+%26+bye&"));
}

#[test]
fn a_number_sender_is_sent_as_from_and_the_callback_is_optional() {
    let form = message_form("+15005550006", &Sender::parse(" +15005550001 "), "x", None);
    assert_eq!(
        form,
        vec![
            ("To", "+15005550006".to_string()),
            ("From", "+15005550001".to_string()),
            ("Body", "x".to_string())
        ]
    );
}

#[test]
fn the_messages_url_is_built_from_the_base_and_a_checked_account_sid() {
    assert_eq!(
        messages_url("https://api.twilio.com/", "AC123abc").unwrap(),
        "https://api.twilio.com/2010-04-01/Accounts/AC123abc/Messages.json"
    );
    for bad in ["", "AC/../x", "AC 1", "AC?x=1"] {
        assert!(
            messages_url("https://api.twilio.com", bad).is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        basic_authorization("AC1", "secret"),
        "Basic QUMxOnNlY3JldA=="
    );
}

#[test]
fn a_201_is_accepted_with_the_message_sid() {
    let body =
        br#"{"sid":"SM1234567890abcdef1234567890abcdef","status":"queued","to":"+15005550006"}"#;
    assert_eq!(
        classify_send(201, body, None),
        ProviderOutcome::accepted("SM1234567890abcdef1234567890abcdef")
    );
    assert!(matches!(
        classify_send(201, b"<html>", None),
        ProviderOutcome::Transient { .. }
    ));
}

#[test]
fn an_invalid_number_is_permanent_and_the_reason_never_quotes_it() {
    let body = br#"{"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
    let outcome = classify_send(400, body, None);
    assert_eq!(
        outcome,
        ProviderOutcome::dead_token("twilio 21211: not a valid phone number")
    );
    assert!(!outcome.reason().contains("5005550001"));
}

#[test]
fn unsubscribed_and_non_mobile_numbers_are_dead() {
    for code in [21610, 21614] {
        let body = format!(r#"{{"code": {code}, "message": "…", "status": 400}}"#);
        assert!(matches!(
            classify_send(400, body.as_bytes(), None),
            ProviderOutcome::Permanent {
                dead_token: true,
                ..
            }
        ));
    }
}

#[test]
fn rate_limits_are_transient_and_keep_the_retry_after() {
    let wait = Some(Duration::from_secs(30));
    let body = br#"{"code": 20429, "message": "Too Many Requests", "status": 429}"#;
    assert!(matches!(
        classify_send(429, body, wait),
        ProviderOutcome::Transient { retry_after, fault: Fault::Provider, .. } if retry_after == wait
    ));
    assert!(matches!(
        classify_send(429, b"", wait),
        ProviderOutcome::Transient { retry_after, .. } if retry_after == wait
    ));
}

#[test]
fn refused_credentials_alarm_an_operator_and_never_mark_the_number() {
    let body = br#"{"code": 20003, "message": "Authenticate", "status": 401}"#;
    for (status, body) in [(401, &body[..]), (401, b""), (403, b"{}")] {
        assert!(
            matches!(
                classify_send(status, body, None),
                ProviderOutcome::Transient {
                    fault: Fault::Configuration,
                    ..
                }
            ),
            "{status}"
        );
    }
}

#[test]
fn server_errors_are_transient_and_unknown_client_errors_permanent_with_their_code() {
    assert!(matches!(
        classify_send(503, b"<html>busy</html>", None),
        ProviderOutcome::Transient {
            fault: Fault::Provider,
            ..
        }
    ));
    assert_eq!(
        classify_send(400, br#"{"code": 21999, "status": 400}"#, None),
        ProviderOutcome::permanent("twilio: HTTP 400, request refused (error 21999)")
    );
}

#[test]
fn delivery_error_codes_follow_twilios_advice() {
    let kind = |code| match classify_code(code, None).unwrap() {
        ProviderOutcome::Transient { .. } => "transient",
        ProviderOutcome::Permanent {
            dead_token: true, ..
        } => "dead",
        ProviderOutcome::Permanent { .. } => "permanent",
        ProviderOutcome::Accepted { .. } => "accepted",
    };
    assert_eq!(kind(30003), "transient");
    assert_eq!(kind(30004), "permanent");
    assert_eq!(kind(30005), "dead");
    assert_eq!(kind(30006), "dead");
    assert_eq!(kind(30007), "permanent");
    assert_eq!(kind(30008), "transient");
    assert!(classify_code(12345, None).is_none());
}

#[test]
fn status_callbacks_are_typed_and_classified() {
    let delivered = StatusCallback::parse(&params(&[
        ("AccountSid", "AC1"),
        ("MessageSid", "SM0123456789abcdef"),
        ("MessageStatus", "delivered"),
        ("To", "+15005550006"),
    ]))
    .unwrap();
    assert_eq!(delivered.status, MessageStatus::Delivered);
    assert_eq!(delivered.account_sid.as_deref(), Some("AC1"));
    assert!(delivered.status.is_final());
    assert_eq!(
        delivered.outcome(),
        Some(ProviderOutcome::accepted("SM0123456789abcdef"))
    );

    let landline = StatusCallback::parse(&params(&[
        ("MessageSid", "SM0123456789abcdef"),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30006"),
    ]))
    .unwrap();
    assert_eq!(landline.error_code, Some(30006));
    assert!(matches!(
        landline.outcome(),
        Some(ProviderOutcome::Permanent {
            dead_token: true,
            ..
        })
    ));

    let failed = StatusCallback::parse(&params(&[
        ("SmsSid", "SM0123456789abcdef"),
        ("SmsStatus", "failed"),
    ]))
    .unwrap();
    assert_eq!(
        failed.outcome(),
        Some(ProviderOutcome::permanent("twilio: message failed"))
    );

    let sent = StatusCallback::parse(&params(&[
        ("MessageSid", "SM0123456789abcdef"),
        ("MessageStatus", "sent"),
    ]))
    .unwrap();
    assert!(!sent.status.is_final());
    assert_eq!(sent.outcome(), None);
}

#[test]
fn malformed_status_callbacks_are_refused_with_a_reason() {
    let cases = [
        params(&[("MessageStatus", "sent")]),
        params(&[("MessageSid", "../etc"), ("MessageStatus", "sent")]),
        params(&[("MessageSid", "SM0123456789abcdef")]),
        params(&[
            ("MessageSid", "SM0123456789abcdef"),
            ("MessageStatus", "failed"),
            ("ErrorCode", "+15005550006"),
        ]),
    ];
    for case in cases {
        let err = StatusCallback::parse(&case).unwrap_err();
        assert!(!err.contains("5005550006"), "{err}");
    }
    let odd = StatusCallback::parse(&params(&[
        ("MessageSid", "SM0123456789abcdef"),
        ("MessageStatus", "teleported <b>"),
    ]))
    .unwrap();
    assert_eq!(odd.status, MessageStatus::Other("teleported??b?".into()));
}
