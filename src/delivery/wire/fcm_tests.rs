use super::*;
use crate::delivery::wire::{b64url_decode, Fault};

const RSA_PKCS8: &str = include_str!("testdata/rsa-test-key.pkcs8.pem");

fn account_json() -> serde_json::Value {
    json!({
        "type": "service_account",
        "project_id": "tocsin-test",
        "private_key_id": "0123abcd",
        "private_key": RSA_PKCS8,
        "client_email": "sender@tocsin-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    })
}

fn account() -> ServiceAccount {
    ServiceAccount::from_json(&account_json().to_string()).unwrap()
}

fn claims(token: &str) -> (serde_json::Value, serde_json::Value) {
    let parts: Vec<&str> = token.split('.').collect();
    let json = |s: &str| serde_json::from_slice(&b64url_decode(s).unwrap()).unwrap();
    (json(parts[0]), json(parts[1]))
}

#[test]
fn a_service_account_file_is_read_with_its_fields_as_given() {
    let account = account();
    assert_eq!(account.project_id, "tocsin-test");
    assert_eq!(account.token_uri, "https://oauth2.googleapis.com/token");
    assert_eq!(
        account.send_url("https://fcm.googleapis.com/"),
        "https://fcm.googleapis.com/v1/projects/tocsin-test/messages:send"
    );
    let debug = format!("{account:?}");
    assert!(!debug.contains("PRIVATE"), "{debug}");
}

#[test]
fn bad_service_account_files_are_refused_naming_the_field() {
    let with = |key: &str, value: serde_json::Value| {
        let mut file = account_json();
        file[key] = value;
        ServiceAccount::from_json(&file.to_string()).unwrap_err()
    };
    assert!(with("private_key", json!(null)).contains("no 'private_key'"));
    assert!(with("token_uri", json!("")).contains("no 'token_uri'"));
    assert!(
        with("token_uri", json!("file:///etc/passwd")).contains("token_uri is not an http(s) URL")
    );
    assert!(with("project_id", json!("a/../b")).contains("project_id is not a project id"));
    assert!(with("type", json!("authorized_user")).contains("type 'authorized_user'"));
    let bad_key = with(
        "private_key",
        json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
    );
    assert!(
        bad_key.starts_with("the FCM credentials' private_key: "),
        "{bad_key}"
    );
    let not_json = ServiceAccount::from_json("{\"private_key\": \"secret\"").unwrap_err();
    assert!(!not_json.contains("secret"), "{not_json}");
}

#[test]
fn the_assertion_carries_googles_claims_for_one_hour() {
    let account = account();
    let now = 1_750_000_000;
    let token = account.assertion(now).unwrap();
    let (header, payload) = claims(&token);
    assert_eq!(
        header,
        json!({"alg": "RS256", "typ": "JWT", "kid": "0123abcd"})
    );
    assert_eq!(
        payload,
        json!({
            "iss": "sender@tocsin-test.iam.gserviceaccount.com",
            "scope": "https://www.googleapis.com/auth/firebase.messaging",
            "aud": "https://oauth2.googleapis.com/token",
            "iat": now,
            "exp": now + 3600,
        })
    );
    let form = account.token_request_form(now).unwrap();
    assert_eq!(
        form[0],
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string()
        )
    );
    assert_eq!(form[1], ("assertion", token));
}

#[test]
fn a_granted_token_expires_when_google_says() {
    let body = br#"{"access_token":"ya29.c.abc","expires_in":3599,"token_type":"Bearer"}"#;
    let token = parse_token_response(200, body, 1000, None).unwrap();
    assert_eq!(token.token, "ya29.c.abc");
    assert_eq!(token.expires_at, 4599);
    assert!(!format!("{token:?}").contains("ya29"));
}

#[test]
fn a_refused_assertion_is_configuration_and_an_outage_is_transient() {
    let refused = parse_token_response(
        400,
        br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
        0,
        None,
    )
    .unwrap_err();
    assert_eq!(
        refused,
        ProviderOutcome::configuration(
            "fcm oauth: the service account was refused (invalid_grant)"
        )
    );
    assert!(matches!(
        parse_token_response(503, b"", 0, Some(Duration::from_secs(5))).unwrap_err(),
        ProviderOutcome::Transient {
            retry_after: Some(_),
            fault: Fault::Provider,
            ..
        }
    ));
    assert!(matches!(
        parse_token_response(200, b"{}", 0, None).unwrap_err(),
        ProviderOutcome::Transient { .. }
    ));
}

#[test]
fn the_cache_renews_a_token_five_minutes_before_it_expires() {
    let mut cache = TokenCache::default();
    assert!(cache.needs_refresh(0));
    cache.store(AccessToken {
        token: "t1".into(),
        expires_at: 4600,
    });
    assert_eq!(cache.get(1000), Some("t1"));
    assert_eq!(cache.get(4299), Some("t1"));
    assert_eq!(cache.get(4300), None);
    assert!(cache.needs_refresh(4300));
    cache.invalidate();
    assert!(cache.needs_refresh(1000));
}

#[test]
fn the_send_body_is_a_high_priority_notification_with_the_link_as_data() {
    let body = send_body(
        "tok-1",
        "Acme: security incident",
        "Please read",
        "https://x.test/n/ab",
    );
    assert_eq!(
        body,
        json!({"message": {
            "token": "tok-1",
            "notification": {"title": "Acme: security incident", "body": "Please read"},
            "data": {"url": "https://x.test/n/ab"},
            "android": {"priority": "HIGH"},
            "apns": {"headers": {"apns-priority": "10", "apns-push-type": "alert"}},
        }})
    );
}

fn classify(status: u16, body: serde_json::Value) -> ProviderOutcome {
    classify_send(
        status,
        body.to_string().as_bytes(),
        Some(Duration::from_secs(9)),
    )
}

fn fcm_error(code: &str) -> serde_json::Value {
    json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code})
}

#[test]
fn a_sent_message_is_accepted_with_its_name() {
    assert_eq!(
        classify(
            200,
            json!({"name": "projects/tocsin-test/messages/0:1500415314455276%31bd1c9631bd1c96"})
        ),
        ProviderOutcome::accepted(
            "projects/tocsin-test/messages/0:1500415314455276%31bd1c9631bd1c96"
        )
    );
}

#[test]
fn an_unregistered_token_is_dead() {
    let body = json!({"error": {"code": 404, "message": "Requested entity was not found.",
        "status": "NOT_FOUND", "details": [fcm_error("UNREGISTERED")]}});
    assert_eq!(
        classify(404, body),
        ProviderOutcome::dead_token("fcm UNREGISTERED: the app instance is no longer registered")
    );
}

#[test]
fn an_invalid_token_is_dead_but_an_invalid_message_is_not() {
    // FCM's documented invalid-token answer.
    let documented = json!({"error": {"code": 400,
        "message": "The registration token is not a valid FCM registration token",
        "status": "INVALID_ARGUMENT", "details": [fcm_error("INVALID_ARGUMENT")]}});
    let violation = json!({"error": {"code": 400, "message": "Request contains an invalid argument.",
        "status": "INVALID_ARGUMENT", "details": [fcm_error("INVALID_ARGUMENT"),
        {"@type": "type.googleapis.com/google.rpc.BadRequest",
         "fieldViolations": [{"field": "message.token", "description": "Invalid registration token"}]}]}});
    for body in [documented, violation] {
        assert!(matches!(
            classify(400, body),
            ProviderOutcome::Permanent {
                dead_token: true,
                ..
            }
        ));
    }
    // FCM's documented invalid-data answer, and a payload too large (no details).
    let data = json!({"error": {"code": 400, "message": "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
        "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": "message.data[0].value", "description": "Invalid value"}]}]}});
    let too_big = json!({"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}});
    for body in [data, too_big] {
        assert_eq!(
            classify(400, body),
            ProviderOutcome::permanent("fcm INVALID_ARGUMENT: the message was refused")
        );
    }
}

#[test]
fn throttling_and_outages_are_transient_with_retry_after() {
    let quota = json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [fcm_error("QUOTA_EXCEEDED")]}});
    let unavailable = json!({"error": {"code": 503, "status": "UNAVAILABLE", "details": [fcm_error("UNAVAILABLE")]}});
    let internal = json!({"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL", "details": [fcm_error("INTERNAL")]}});
    for (status, body) in [(429, quota), (503, unavailable), (500, internal)] {
        assert!(
            matches!(classify(status, body), ProviderOutcome::Transient { retry_after: Some(d), fault: Fault::Provider, .. } if d.as_secs() == 9),
            "{status}"
        );
    }
    let bad_gateway = classify_send(502, b"<!DOCTYPE html><title>Error 502</title>", None);
    assert!(matches!(
        bad_gateway,
        ProviderOutcome::Transient {
            fault: Fault::Provider,
            ..
        }
    ));
}

#[test]
fn authentication_problems_are_ours_and_never_kill_a_token() {
    let third_party = json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "details": [fcm_error("THIRD_PARTY_AUTH_ERROR")]}});
    assert!(matches!(
        classify(401, third_party),
        ProviderOutcome::Transient {
            fault: Fault::Configuration,
            ..
        }
    ));
    let expired = json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}});
    assert!(matches!(
        classify(401, expired),
        ProviderOutcome::Transient {
            fault: Fault::Credentials,
            ..
        }
    ));
    let denied = json!({"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}});
    assert!(matches!(
        classify(403, denied),
        ProviderOutcome::Transient {
            fault: Fault::Configuration,
            ..
        }
    ));
    let no_project = json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}});
    assert!(matches!(
        classify(404, no_project),
        ProviderOutcome::Transient {
            fault: Fault::Configuration,
            ..
        }
    ));
}

#[test]
fn a_token_of_another_sender_is_dead() {
    let body = json!({"error": {"code": 403, "message": "SenderId mismatch", "status": "PERMISSION_DENIED", "details": [fcm_error("SENDER_ID_MISMATCH")]}});
    assert!(matches!(
        classify(403, body),
        ProviderOutcome::Permanent {
            dead_token: true,
            ..
        }
    ));
}

#[test]
fn error_messages_are_never_echoed_into_reasons() {
    let body = json!({"error": {"code": 400, "message": "token fLx9:APA91b-secret is bad", "status": "FAILED_PRECONDITION"}});
    let outcome = classify(400, body);
    assert_eq!(
        outcome,
        ProviderOutcome::permanent("fcm: HTTP 400, request refused (FAILED_PRECONDITION)")
    );
}
