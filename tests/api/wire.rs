//! The provider wire formats against independent implementations, in Python
//! (tests/support/crosscheck.py: http_ece for RFC 8291, PyJWT and cryptography for JWS), with
//! keys made on the Python side the way a browser, Google or Apple hands them out.
//!
//! The venv comes from tests/support/pyenv.sh (at $TOCSIN_PYENV, else target/pyenv), which these
//! tests run once. Without Python or the packages the tests are skipped, loudly; under
//! `CI=true` they fail.
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};
use tocsin::delivery::wire::apns::ProviderTokenSigner;
use tocsin::delivery::wire::fcm::ServiceAccount;
use tocsin::delivery::wire::webpush::{self, Subscription, Vapid, MAX_PLAINTEXT};
use url::Url;

pub(crate) fn python() -> Option<&'static PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let venv = std::env::var_os("TOCSIN_PYENV")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("target/pyenv"));
            let setup = Command::new("bash")
                .arg(root.join("tests/support/pyenv.sh"))
                .arg(&venv)
                .output();
            let why = match setup {
                Ok(out) if out.status.success() => return Some(venv.join("bin/python")),
                Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                Err(e) => e.to_string(),
            };
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("the Python cross-checks are required under CI=true, but tests/support/pyenv.sh failed: {why}");
            }
            eprintln!("SKIPPED (no Python venv for the wire cross-checks: {why})");
            None
        })
        .as_ref()
}

macro_rules! python_or_skip {
    () => {
        match python() {
            Some(python) => python,
            None => return,
        }
    };
}

fn call(python: &PathBuf, command: &str, input: &Value) -> Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/crosscheck.py");
    let mut child = Command::new(python)
        .args([script, command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write to python");
    child.wait_with_output().expect("python output")
}

/// Runs a check that must pass, and returns its answer.
pub(crate) fn check(python: &PathBuf, command: &str, input: Value) -> Value {
    let out = call(python, command, &input);
    assert!(
        out.status.success(),
        "{command} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from python")
}

/// Runs a check that must fail, and returns Python's reason.
fn refuse(python: &PathBuf, command: &str, input: Value) -> String {
    let out = call(python, command, &input);
    assert!(
        !out.status.success(),
        "{command} accepted what it should refuse"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64url(value: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.as_str().expect("a string"))
        .expect("base64url")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// `token` with one claim changed and the signature kept.
fn tampered(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&unb64url(&json!(parts[1]))).unwrap();
    claims["iat"] = json!(claims["iat"].as_u64().unwrap() + 1);
    format!(
        "{}.{}.{}",
        parts[0],
        b64url(claims.to_string().as_bytes()),
        parts[2]
    )
}

#[test]
fn web_push_bodies_decrypt_with_the_http_ece_reference_implementation() {
    let python = python_or_skip!();
    let keys = check(python, "keys", json!({}));
    let auth = *b"sixteen byte key";
    let token = json!({
        "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
        "keys": {"p256dh": keys["ua_public"], "auth": b64url(&auth)},
    });
    let subscription = Subscription::parse(&token.to_string()).expect("subscription");
    let notice = webpush::notification_payload(
        "Acme Bank: security incident",
        "Des données vous concernant ont été exposées — lisez l’avis.",
        "https://tocsin.example/n/Zx8_kP2q",
    )
    .unwrap();
    for plaintext in [b"x".to_vec(), notice, vec![b'a'; MAX_PLAINTEXT]] {
        let body = webpush::encrypt(&subscription, &plaintext).expect("encrypt");
        let out = check(
            python,
            "decrypt",
            json!({"body": b64url(&body), "ua_private": keys["ua_private"], "auth": b64url(&auth)}),
        );
        assert_eq!(unb64url(&out["plaintext"]), plaintext);
    }
    // A body for another browser does not decrypt.
    let other = check(python, "keys", json!({}));
    let body = webpush::encrypt(&subscription, b"secret notice").unwrap();
    refuse(
        python,
        "decrypt",
        json!({"body": b64url(&body), "ua_private": other["ua_private"], "auth": b64url(&auth)}),
    );
}

#[test]
fn fcm_assertions_verify_with_pyjwt_under_an_rsa_key_python_made() {
    let python = python_or_skip!();
    let keys = check(python, "keys", json!({}));
    let token_uri = "https://oauth2.googleapis.com/token";
    for form in ["rsa_pkcs8", "rsa_pkcs1"] {
        let file = json!({
            "type": "service_account",
            "project_id": "tocsin-crosscheck",
            "private_key_id": "k-1",
            "private_key": keys[form],
            "client_email": "sender@tocsin-crosscheck.iam.gserviceaccount.com",
            "token_uri": token_uri,
        });
        let account = ServiceAccount::from_json(&file.to_string()).expect("service account");
        let issued = now();
        let assertion = account.assertion(issued).expect("assertion");
        let out = check(
            python,
            "verify-jwt",
            json!({"token": assertion, "alg": "RS256", "key_pem": keys["rsa_pkcs8"], "audience": token_uri}),
        );
        assert_eq!(
            out["header"],
            json!({"alg": "RS256", "typ": "JWT", "kid": "k-1"})
        );
        let claims = &out["claims"];
        assert_eq!(
            claims["iss"],
            "sender@tocsin-crosscheck.iam.gserviceaccount.com"
        );
        assert_eq!(
            claims["scope"],
            "https://www.googleapis.com/auth/firebase.messaging"
        );
        assert_eq!(claims["iat"], issued);
        assert_eq!(claims["exp"], issued + 3600);
        let reason = refuse(
            python,
            "verify-jwt",
            json!({"token": tampered(&assertion), "alg": "RS256", "key_pem": keys["rsa_pkcs8"], "audience": token_uri}),
        );
        assert!(reason.contains("InvalidSignatureError"), "{reason}");
    }
}

#[test]
fn apns_provider_tokens_verify_with_pyjwt_under_a_p8_key_python_made() {
    let python = python_or_skip!();
    let keys = check(python, "keys", json!({}));
    let signer = ProviderTokenSigner::new(
        keys["apns_p8"].as_str().unwrap(),
        "ABC123DEFG",
        "DEF123GHIJ",
    )
    .expect("signer");
    let issued = now();
    let token = signer.token(issued);
    let out = check(
        python,
        "verify-jwt",
        json!({"token": token, "alg": "ES256", "key_pem": keys["apns_p8"], "require_iat": true}),
    );
    assert_eq!(
        out["header"],
        json!({"alg": "ES256", "typ": "JWT", "kid": "ABC123DEFG"})
    );
    assert_eq!(out["claims"], json!({"iss": "DEF123GHIJ", "iat": issued}));
    refuse(
        python,
        "verify-jwt",
        json!({"token": tampered(&token), "alg": "ES256", "key_pem": keys["apns_p8"]}),
    );
}

#[test]
fn vapid_headers_verify_with_pyjwt_and_carry_the_public_key_of_pythons_private_key() {
    let python = python_or_skip!();
    let keys = check(python, "keys", json!({}));
    let vapid = Vapid::new(
        keys["vapid_raw"].as_str().unwrap(),
        "mailto:security@acme.test",
    )
    .expect("vapid");
    let endpoint = Url::parse("https://updates.push.services.mozilla.com/wpush/v2/gAAAAA").unwrap();
    let issued = now();
    let header = vapid.authorization(&endpoint, issued);
    let (t, k) = header
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=…, k=…");
    assert_eq!(k, keys["vapid_public"].as_str().unwrap());
    let out = check(
        python,
        "verify-jwt",
        json!({"token": t, "alg": "ES256", "public_key": keys["vapid_public"],
               "audience": "https://updates.push.services.mozilla.com"}),
    );
    assert_eq!(out["header"]["alg"], "ES256");
    assert_eq!(out["claims"]["sub"], "mailto:security@acme.test");
    let exp = out["claims"]["exp"].as_u64().unwrap();
    assert!(
        exp > issued && exp <= issued + 24 * 3600,
        "RFC 8292: at most 24 hours"
    );
    let reason = refuse(
        python,
        "verify-jwt",
        json!({"token": t, "alg": "ES256", "public_key": keys["vapid_public"],
               "audience": "https://fcm.googleapis.com"}),
    );
    assert!(reason.contains("InvalidAudienceError"), "{reason}");
}
