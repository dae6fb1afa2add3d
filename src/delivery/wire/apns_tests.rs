use super::*;
use crate::delivery::wire::{b64url_decode, Fault};

fn pem_of(key: &Es256Key) -> String {
    use base64::Engine;
    use p256::pkcs8::EncodePrivateKey;
    let der = key.secret().to_pkcs8_der().unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(der.as_bytes());
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

fn signer() -> ProviderTokenSigner {
    ProviderTokenSigner::new(&pem_of(&Es256Key::generate()), "ABC123DEFG", "DEF123GHIJ").unwrap()
}

const DEVICE: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

#[test]
fn a_provider_token_names_the_key_and_team_and_verifies_with_the_key() {
    use p256::ecdsa::signature::Verifier;
    let signer = signer();
    let token = signer.token(1_750_000_000);
    let parts: Vec<&str> = token.split('.').collect();
    let json = |s: &str| -> serde_json::Value {
        serde_json::from_slice(&b64url_decode(s).unwrap()).unwrap()
    };
    assert_eq!(
        json(parts[0]),
        json!({"alg": "ES256", "typ": "JWT", "kid": "ABC123DEFG"})
    );
    assert_eq!(
        json(parts[1]),
        json!({"iss": "DEF123GHIJ", "iat": 1_750_000_000u64})
    );
    let public =
        p256::ecdsa::VerifyingKey::from_sec1_bytes(&signer.public_key_uncompressed()).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&b64url_decode(parts[2]).unwrap()).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    assert!(public.verify(signed.as_bytes(), &signature).is_ok());
}

#[test]
fn a_bad_key_or_identifier_is_refused_naming_the_setting() {
    let pem = pem_of(&Es256Key::generate());
    let err = ProviderTokenSigner::new("nothing", "ABC123DEFG", "DEF123GHIJ").unwrap_err();
    assert!(
        err.starts_with("TOCSIN_APNS_KEY: the key file holds no PEM block"),
        "{err}"
    );
    let err = ProviderTokenSigner::new(&pem, "ABC/../x", "DEF123GHIJ").unwrap_err();
    assert!(err.starts_with("TOCSIN_APNS_KEY_ID"), "{err}");
    let err = ProviderTokenSigner::new(&pem, "ABC123DEFG", "").unwrap_err();
    assert!(err.starts_with("TOCSIN_APNS_TEAM_ID"), "{err}");
}

#[test]
fn a_provider_token_is_reused_for_fifty_minutes_then_renewed() {
    let signer = signer();
    let mut cache = ProviderTokenCache::default();
    let first = cache.current(&signer, 10_000).to_owned();
    assert_eq!(cache.current(&signer, 10_000 + 2999), first);
    assert_eq!(cache.get(10_000 + 2999), Some(first.as_str()));
    assert!(cache.needs_refresh(10_000 + 3000));
    let second = cache.current(&signer, 10_000 + 3000).to_owned();
    assert_ne!(second, first);
    assert_eq!(cache.get(10_000 + 3001), Some(second.as_str()));
}

#[test]
fn an_invalidated_or_future_dated_token_is_renewed() {
    let mut cache = ProviderTokenCache::default();
    cache.store("t".into(), 5000);
    assert!(
        cache.needs_refresh(4999),
        "a clock that went back must not use a future token"
    );
    assert!(!cache.needs_refresh(5000));
    cache.invalidate();
    assert!(cache.needs_refresh(5000));
}

#[test]
fn the_request_goes_to_the_device_path_and_odd_tokens_are_refused() {
    assert_eq!(
        request_url("https://api.sandbox.push.apple.com/", DEVICE).unwrap(),
        format!("https://api.sandbox.push.apple.com/3/device/{DEVICE}")
    );
    for bad in [
        "",
        "abc",
        "../../3/device/x",
        &format!("{DEVICE}?x=1"),
        &"g".repeat(64),
    ] {
        let err = request_url("https://api.push.apple.com", bad).unwrap_err();
        assert!(!err.contains(bad) || bad.is_empty(), "{err}");
    }
}

#[test]
fn the_apns_id_is_a_uuid_derived_from_the_idempotency_key() {
    let a = apns_id("delivery-42-attempt-key");
    assert_eq!(a, apns_id("delivery-42-attempt-key"));
    assert_ne!(a, apns_id("delivery-43-attempt-key"));
    let parsed = uuid::Uuid::parse_str(&a).unwrap();
    assert_eq!(parsed.get_version_num(), 8);
    assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
    assert_eq!(a, a.to_lowercase());
    assert_eq!(a.len(), 36);
}

#[test]
fn headers_ask_for_an_alert_at_high_priority() {
    let h = headers(
        "tok",
        "com.example.app",
        "0d1f7b2e-0000-8000-8000-000000000000",
        1_750_086_400,
    );
    assert_eq!(
        h,
        vec![
            ("authorization", "bearer tok".to_string()),
            ("apns-push-type", "alert".to_string()),
            ("apns-topic", "com.example.app".to_string()),
            (
                "apns-id",
                "0d1f7b2e-0000-8000-8000-000000000000".to_string()
            ),
            ("apns-priority", "10".to_string()),
            ("apns-expiration", "1750086400".to_string()),
        ]
    );
}

#[test]
fn the_payload_is_an_alert_with_sound_and_the_link() {
    let p = payload("Acme: incident", "Read this", "https://x.test/n/ab").unwrap();
    let value: serde_json::Value = serde_json::from_slice(&p).unwrap();
    assert_eq!(
        value,
        json!({"aps": {"alert": {"title": "Acme: incident", "body": "Read this"}, "sound": "default"},
               "url": "https://x.test/n/ab"})
    );
}

#[test]
fn a_long_body_is_shortened_to_fit_four_kilobytes_keeping_title_and_link() {
    let body = "Données personnelles \"exposées\" ".repeat(300);
    let p = payload("Title", &body, "https://x.test/n/ab").unwrap();
    assert!(
        p.len() <= MAX_PAYLOAD && p.len() > MAX_PAYLOAD - 8,
        "{}",
        p.len()
    );
    let value: serde_json::Value = serde_json::from_slice(&p).unwrap();
    let kept = value["aps"]["alert"]["body"].as_str().unwrap();
    assert!(kept.ends_with('…'));
    assert!(body.starts_with(kept.trim_end_matches('…')));
    assert_eq!(value["aps"]["alert"]["title"], "Title");
    assert_eq!(value["url"], "https://x.test/n/ab");
    let err = payload(&"T".repeat(5000), "b", "https://x.test").unwrap_err();
    assert!(err.contains("4 KiB"));
}

#[test]
fn an_oversized_title_with_an_empty_body_is_an_error_not_a_panic() {
    let err = payload(&"T".repeat(5000), "", "https://x.test").unwrap_err();
    assert!(err.contains("4 KiB"));
}

fn reason(status: u16, code: &str) -> ProviderOutcome {
    let body = format!(r#"{{"reason":"{code}"}}"#);
    classify_send(status, None, body.as_bytes(), Some(Duration::from_secs(3)))
}

#[test]
fn a_200_is_accepted_with_the_apns_id() {
    let id = "6e3e0b4a-2d0d-4f1c-9a70-0e1e6b1c2d3f";
    assert_eq!(
        classify_send(200, Some(id), b"", None),
        ProviderOutcome::accepted(id)
    );
}

#[test]
fn bad_unregistered_or_foreign_device_tokens_are_dead() {
    for (status, code) in [
        (400, "BadDeviceToken"),
        (400, "DeviceTokenNotForTopic"),
        (410, "Unregistered"),
        (410, "ExpiredToken"),
    ] {
        assert!(
            matches!(
                reason(status, code),
                ProviderOutcome::Permanent {
                    dead_token: true,
                    ..
                }
            ),
            "{code}"
        );
    }
    assert_eq!(
        reason(410, "Unregistered"),
        ProviderOutcome::dead_token("apns 410 Unregistered: the device token is no longer active")
    );
}

#[test]
fn other_bad_requests_and_oversized_payloads_are_permanent_for_the_message_only() {
    for (status, code) in [
        (400, "PayloadEmpty"),
        (400, "BadPriority"),
        (413, "PayloadTooLarge"),
    ] {
        assert!(
            matches!(
                reason(status, code),
                ProviderOutcome::Permanent {
                    dead_token: false,
                    ..
                }
            ),
            "{code}"
        );
    }
}

#[test]
fn refused_provider_tokens_ask_for_a_new_one_and_other_refusals_are_configuration() {
    for code in [
        "ExpiredProviderToken",
        "InvalidProviderToken",
        "MissingProviderToken",
    ] {
        assert!(
            matches!(
                reason(403, code),
                ProviderOutcome::Transient {
                    fault: Fault::Credentials,
                    ..
                }
            ),
            "{code}"
        );
    }
    for (status, code) in [
        (403, "Forbidden"),
        (403, "BadEnvironmentKeyIdInToken"),
        (404, "BadPath"),
        (405, "MethodNotAllowed"),
        (400, "BadTopic"),
        (400, "TopicDisallowed"),
    ] {
        assert!(
            matches!(
                reason(status, code),
                ProviderOutcome::Transient {
                    fault: Fault::Configuration,
                    ..
                }
            ),
            "{code}"
        );
    }
}

#[test]
fn throttling_and_outages_are_transient_with_retry_after() {
    for (status, code) in [
        (429, "TooManyRequests"),
        (429, "TooManyProviderTokenUpdates"),
        (500, "InternalServerError"),
        (503, "ServiceUnavailable"),
        (503, "Shutdown"),
    ] {
        assert!(
            matches!(
                reason(status, code),
                ProviderOutcome::Transient {
                    fault: Fault::Provider,
                    retry_after: Some(_),
                    ..
                }
            ),
            "{code}"
        );
    }
    assert!(matches!(
        classify_send(502, None, b"<html>", None),
        ProviderOutcome::Transient { .. }
    ));
}

#[test]
fn an_odd_reason_is_not_echoed_verbatim() {
    let outcome = reason(400, "Bad token 740f4707 <script>");
    assert_eq!(
        outcome.reason(),
        "apns 400 Bad?token?740f4707??script?: request refused"
    );
}
