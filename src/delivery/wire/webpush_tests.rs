use super::*;
use crate::delivery::wire::Fault;
use p256::elliptic_curve::sec1::ToEncodedPoint;

fn d(text: &str) -> Vec<u8> {
    b64url_decode(text).unwrap()
}

fn subscription_json(endpoint: &str, p256dh: &[u8], auth: &[u8]) -> String {
    serde_json::json!({"endpoint": endpoint, "expirationTime": null,
        "keys": {"p256dh": b64url(p256dh), "auth": b64url(auth)}})
    .to_string()
}

/// The browser's half, to prove round trips: RFC 8291 decryption with the receiver's key.
fn decrypt(body: &[u8], ua_private: &p256::SecretKey, auth: &[u8]) -> Vec<u8> {
    use ring::aead;
    let salt = &body[..16];
    assert_eq!(u32::from_be_bytes(body[16..20].try_into().unwrap()), 4096);
    let idlen = body[20] as usize;
    let as_public = p256::PublicKey::from_sec1_bytes(&body[21..21 + idlen]).unwrap();
    let shared = p256::ecdh::diffie_hellman(ua_private.to_nonzero_scalar(), as_public.as_affine());
    let mut info = b"WebPush: info\0".to_vec();
    info.extend_from_slice(ua_private.public_key().to_encoded_point(false).as_bytes());
    info.extend_from_slice(&body[21..21 + idlen]);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes().as_slice())
        .expand(&info, &mut ikm)
        .unwrap();
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .unwrap();
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .unwrap();
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &cek).unwrap());
    let mut record = body[21 + idlen..].to_vec();
    let plain = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::empty(),
            &mut record,
        )
        .unwrap();
    assert_eq!(plain.last(), Some(&2), "last-record delimiter");
    plain[..plain.len() - 1].to_vec()
}

#[test]
fn encryption_reproduces_the_worked_example_of_rfc_8291() {
    let ua_public = d(
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
    );
    let auth = d("BTBZMqHH6r4Tts7J_aSIgg");
    let subscription = Subscription::parse(&subscription_json(
        "https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV",
        &ua_public,
        &auth,
    ))
    .unwrap();
    let as_key = Es256Key::from_scalar(&d("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
    assert_eq!(
        b64url(&as_key.public_key_uncompressed()),
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
    );
    let salt: [u8; 16] = d("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
    let body = encrypt_with(
        &subscription,
        b"When I grow up, I want to be a watermelon",
        &as_key,
        salt,
    )
    .unwrap();
    assert_eq!(
        b64url(&body),
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
    );
    // The RFC's receiver key decrypts it too.
    let ua_private =
        p256::SecretKey::from_slice(&d("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")).unwrap();
    assert_eq!(
        decrypt(&body, &ua_private, &auth),
        b"When I grow up, I want to be a watermelon"
    );
}

#[test]
fn each_message_gets_a_fresh_key_and_salt_and_decrypts_for_its_browser() {
    let browser = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let auth = [7u8; 16];
    let public = browser.public_key().to_encoded_point(false);
    let subscription = Subscription::parse(&subscription_json(
        "https://fcm.googleapis.com/fcm/send/x",
        public.as_bytes(),
        &auth,
    ))
    .unwrap();
    let payload = "{\"title\":\"Acme\",\"body\":\"Données\"}".as_bytes();
    let a = encrypt(&subscription, payload).unwrap();
    let b = encrypt(&subscription, payload).unwrap();
    assert_ne!(a[..86], b[..86], "salt and ephemeral key differ");
    assert_eq!(a.len(), 86 + payload.len() + 1 + 16);
    assert_eq!(decrypt(&a, &browser, &auth), payload);
    assert_eq!(decrypt(&b, &browser, &auth), payload);
}

#[test]
fn a_payload_fills_at_most_one_4096_byte_record() {
    let browser = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let public = browser.public_key().to_encoded_point(false);
    let subscription = Subscription::parse(&subscription_json(
        "https://fcm.googleapis.com/x",
        public.as_bytes(),
        &[1; 16],
    ))
    .unwrap();
    assert_eq!(
        encrypt(&subscription, &[b'a'; MAX_PLAINTEXT])
            .unwrap()
            .len(),
        4096
    );
    let err = encrypt(&subscription, &[b'a'; MAX_PLAINTEXT + 1]).unwrap_err();
    assert!(err.contains("at most 3993 bytes"), "{err}");
}

#[test]
fn the_notification_payload_is_shortened_to_fit_one_record() {
    let small = notification_payload("T", "B", "https://x.test/n/1").unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&small).unwrap(),
        serde_json::json!({"title": "T", "body": "B", "url": "https://x.test/n/1"})
    );
    let long = notification_payload("T", &"é".repeat(5000), "https://x.test/n/1").unwrap();
    assert!(long.len() <= MAX_PLAINTEXT);
    let value: serde_json::Value = serde_json::from_slice(&long).unwrap();
    assert!(value["body"].as_str().unwrap().ends_with('…'));
    assert_eq!(value["url"], "https://x.test/n/1");
}

#[test]
fn a_malformed_subscription_is_refused_with_what_is_wrong_and_no_values() {
    let good_key = p256::SecretKey::random(&mut rand::rngs::OsRng)
        .public_key()
        .to_encoded_point(false);
    let compressed = p256::SecretKey::random(&mut rand::rngs::OsRng)
        .public_key()
        .to_encoded_point(true);
    let cases = [
        ("not json".to_string(), "is not JSON like"),
        (r#"{"keys":{}}"#.to_string(), "has no endpoint"),
        (r#"{"endpoint":"fcm secret-path","keys":{}}"#.to_string(), "endpoint is not a URL"),
        (r#"{"endpoint":"https://fcm.googleapis.com/fcm/send/secret-path"}"#.to_string(), "has no keys"),
        (subscription_json("https://fcm.googleapis.com/fcm/send/secret-path", &[4; 65], &[1; 16]), "keys.p256dh is not an uncompressed P-256 public key"),
        (subscription_json("https://fcm.googleapis.com/fcm/send/secret-path", compressed.as_bytes(), &[1; 16]), "keys.p256dh is not an uncompressed"),
        (subscription_json("https://fcm.googleapis.com/fcm/send/secret-path", good_key.as_bytes(), &[1; 15]), "keys.auth is not 16 bytes"),
        (r#"{"endpoint":"https://fcm.googleapis.com/fcm/send/secret-path","keys":{"p256dh":"%%","auth":"AAAA"}}"#.to_string(), "no base64url keys.p256dh"),
    ];
    for (token, expected) in cases {
        let err = Subscription::parse(&token).unwrap_err();
        assert!(err.contains(expected), "{err:?} should say {expected:?}");
        assert!(!err.contains("secret-path"), "{err}");
    }
    let ok = Subscription::parse(&subscription_json(
        "https://fcm.googleapis.com/fcm/send/secret-path",
        good_key.as_bytes(),
        &[1; 16],
    ))
    .unwrap();
    assert_eq!(format!("{ok:?}"), "Subscription(fcm.googleapis.com/…)");
}

fn allowed(policy: &EndpointPolicy, endpoint: &str) -> bool {
    policy.check(&Url::parse(endpoint).unwrap()).is_ok()
}

#[test]
fn only_known_push_services_over_https_are_allowed_by_default() {
    let policy = EndpointPolicy::new(&[]).unwrap();
    for ok in [
        "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH",
        "https://android.googleapis.com/gcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
        "https://web.push.apple.com/QGuQyavXutnMyxJ6MSrlb",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
        "https://FCM.googleapis.com:443/fcm/send/x",
    ] {
        assert!(allowed(&policy, ok), "{ok}");
    }
    for refused in [
        "http://fcm.googleapis.com/fcm/send/x",
        "https://fcm.googleapis.com:8443/fcm/send/x",
        "https://fcm.googleapis.com.evil.test/x",
        "https://evilpush.apple.com/x",
        "https://push.apple.com/x",
        "https://user:pw@fcm.googleapis.com/x",
        "https://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8089/push",
        "ftp://fcm.googleapis.com/x",
    ] {
        assert!(!allowed(&policy, refused), "{refused}");
    }
    let err = policy
        .check(&Url::parse("https://internal.corp.test/secret").unwrap())
        .unwrap_err();
    assert!(
        err.contains("https://internal.corp.test") && !err.contains("secret"),
        "{err}"
    );
}

#[test]
fn a_listed_origin_or_host_is_allowed_exactly_as_listed() {
    let policy = EndpointPolicy::new(&[
        "http://127.0.0.1:8089".to_string(),
        "push.example.org".to_string(),
        "*.push.example.net".to_string(),
    ])
    .unwrap();
    assert!(allowed(&policy, "http://127.0.0.1:8089/push/abc"));
    assert!(!allowed(&policy, "http://127.0.0.1:8090/push/abc"));
    assert!(!allowed(&policy, "https://127.0.0.1:8089/push/abc"));
    assert!(allowed(&policy, "https://push.example.org/x"));
    assert!(
        !allowed(&policy, "http://push.example.org/x"),
        "a listed host is https only"
    );
    assert!(allowed(&policy, "https://eu.push.example.net/x"));
    assert!(!allowed(&policy, "https://push.example.net/x"));
    for bad in [
        "http://127.0.0.1:8089/path",
        "localhost",
        "*.",
        "a b.test",
        "mailto:x@y.z",
    ] {
        assert!(EndpointPolicy::new(&[bad.to_string()]).is_err(), "{bad}");
    }
}

#[test]
fn the_vapid_header_carries_an_es256_token_for_the_endpoint_origin() {
    use p256::ecdsa::signature::Verifier;
    let key = Es256Key::generate();
    let vapid = Vapid::new(
        &b64url(&key.secret().to_bytes()),
        "mailto:security@acme.test",
    )
    .unwrap();
    assert_eq!(vapid.public_key(), b64url(&key.public_key_uncompressed()));
    let endpoint = Url::parse("https://fcm.googleapis.com/fcm/send/abc").unwrap();
    let header = vapid.authorization(&endpoint, 1_750_000_000);
    let (t, k) = header
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .unwrap();
    assert_eq!(k, vapid.public_key());
    let parts: Vec<&str> = t.split('.').collect();
    let json = |s: &str| -> serde_json::Value { serde_json::from_slice(&d(s)).unwrap() };
    assert_eq!(
        json(parts[0]),
        serde_json::json!({"alg": "ES256", "typ": "JWT"})
    );
    assert_eq!(
        json(parts[1]),
        serde_json::json!({"aud": "https://fcm.googleapis.com", "exp": 1_750_043_200u64, "sub": "mailto:security@acme.test"})
    );
    let public = p256::ecdsa::VerifyingKey::from_sec1_bytes(&d(k)).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&d(parts[2])).unwrap();
    assert!(public
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .is_ok());
    // A test server's origin keeps its port.
    let local = vapid.authorization(&Url::parse("http://127.0.0.1:8089/push/1").unwrap(), 0);
    let t = local
        .strip_prefix("vapid t=")
        .unwrap()
        .split(", k=")
        .next()
        .unwrap();
    assert_eq!(
        json(t.split('.').nth(1).unwrap())["aud"],
        "http://127.0.0.1:8089"
    );
}

#[test]
fn a_bad_vapid_key_or_subject_is_refused_naming_the_setting() {
    let key = b64url(&Es256Key::generate().secret().to_bytes());
    assert!(Vapid::new("AAAA", "mailto:a@b.test")
        .unwrap_err()
        .starts_with("TOCSIN_VAPID_KEY: "));
    assert!(Vapid::new(&key, "security@acme.test")
        .unwrap_err()
        .starts_with("TOCSIN_VAPID_SUBJECT"));
    assert!(Vapid::new(&key, "https://acme.test/security").is_ok());
}

#[test]
fn request_headers_ask_for_urgent_aes128gcm_delivery() {
    assert_eq!(
        headers("vapid t=a, k=b", 86400),
        vec![
            ("authorization", "vapid t=a, k=b".to_string()),
            ("ttl", "86400".to_string()),
            ("urgency", "high".to_string()),
            ("content-encoding", "aes128gcm".to_string()),
            ("content-type", "application/octet-stream".to_string()),
        ]
    );
}

#[test]
fn push_service_answers_are_classified() {
    let wait = Some(Duration::from_secs(11));
    assert_eq!(
        classify_send(201, Some("https://fcm.googleapis.com/0:123"), None),
        ProviderOutcome::accepted("https://fcm.googleapis.com/0:123")
    );
    assert_eq!(
        classify_send(202, None, None),
        ProviderOutcome::accepted("")
    );
    for gone in [404, 410] {
        assert!(matches!(
            classify_send(gone, None, None),
            ProviderOutcome::Permanent {
                dead_token: true,
                ..
            }
        ));
    }
    assert!(matches!(
        classify_send(413, None, None),
        ProviderOutcome::Permanent {
            dead_token: false,
            ..
        }
    ));
    assert!(
        matches!(classify_send(429, None, wait), ProviderOutcome::Transient { retry_after, fault: Fault::Provider, .. } if retry_after == wait)
    );
    assert!(matches!(
        classify_send(502, None, None),
        ProviderOutcome::Transient {
            fault: Fault::Provider,
            ..
        }
    ));
    for refused in [401, 403] {
        assert!(matches!(
            classify_send(refused, None, None),
            ProviderOutcome::Transient {
                fault: Fault::Configuration,
                ..
            }
        ));
    }
    assert!(matches!(
        classify_send(400, None, None),
        ProviderOutcome::Permanent {
            dead_token: false,
            ..
        }
    ));
}
