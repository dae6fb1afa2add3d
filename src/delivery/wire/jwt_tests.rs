use super::*;
use crate::delivery::wire::b64url_decode;
use serde_json::json;

const RSA_PKCS8: &str = include_str!("testdata/rsa-test-key.pkcs8.pem");
const RSA_PKCS1: &str = include_str!("testdata/rsa-test-key.pkcs1.pem");

// Throwaway keys of the wrong kinds, to check the error messages (test fixtures, not secrets).
const ED25519_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINlHV8rueA36tJMqKpgNizGOwXdIuAPG1hTdkzukoNUi
-----END PRIVATE KEY-----
";
const P384_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDCH/lSPGPh2DZsJVZM
J1CyiEJ6DfMZAzkg/O0Z2V2s40f40q7D8NpLPOFNu6iMDU+hZANiAATQM27YCtAw
+ZIGfcepFKlc7CrqF3lcVa8xPDx47LvprTy7i5C+qs+zGW4/NekBjxTdMf29AOad
/mSx8hJLruN95TuwouK7RP8+JGLcTuU/61txB9V9A5Npl3zgMFuZBd4=
-----END PRIVATE KEY-----
";

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn parts(token: &str) -> (serde_json::Value, serde_json::Value, Vec<u8>) {
    let pieces: Vec<&str> = token.split('.').collect();
    assert_eq!(pieces.len(), 3, "{token}");
    assert!(!token.contains('='), "JWS segments carry no padding");
    let json = |s: &str| serde_json::from_slice(&b64url_decode(s).unwrap()).unwrap();
    (
        json(pieces[0]),
        json(pieces[1]),
        b64url_decode(pieces[2]).unwrap(),
    )
}

fn signed_part(token: &str) -> &str {
    &token[..token.rfind('.').unwrap()]
}

#[test]
fn an_rs256_token_verifies_with_the_keys_public_half() {
    let key = Rs256Key::from_pem(RSA_PKCS8).unwrap();
    let claims = json!({"iss": "svc@p.iam.gserviceaccount.com", "iat": 1_700_000_000});
    let token = key.sign_jwt(Some("k1"), &claims).unwrap();
    let (header, payload, signature) = parts(&token);
    assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}));
    assert_eq!(payload, claims);
    assert_eq!(signature.len(), 256);
    let public = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        key.public_key_der(),
    );
    assert!(public
        .verify(signed_part(&token).as_bytes(), &signature)
        .is_ok());
    let forged = format!("{}x", signed_part(&token));
    assert!(public.verify(forged.as_bytes(), &signature).is_err());
}

#[test]
fn pkcs1_and_pkcs8_forms_of_an_rsa_key_load_to_the_same_key() {
    let a = Rs256Key::from_pem(RSA_PKCS8).unwrap();
    let b = Rs256Key::from_pem(RSA_PKCS1).unwrap();
    assert_eq!(a.public_key_der(), b.public_key_der());
    // PKCS#1 v1.5 signatures are deterministic.
    let claims = json!({"a": 1});
    assert_eq!(a.sign_jwt(None, &claims), b.sign_jwt(None, &claims));
}

#[test]
fn an_es256_token_verifies_and_carries_a_64_byte_signature() {
    use p256::ecdsa::signature::Verifier;
    let key = Es256Key::generate();
    let token = key.sign_jwt(Some("ABC123DEFG"), &json!({"iss": "TEAM123456", "iat": 1}));
    let (header, payload, signature) = parts(&token);
    assert_eq!(
        header,
        json!({"alg": "ES256", "typ": "JWT", "kid": "ABC123DEFG"})
    );
    assert_eq!(payload, json!({"iss": "TEAM123456", "iat": 1}));
    assert_eq!(signature.len(), 64);
    let public =
        p256::ecdsa::VerifyingKey::from_sec1_bytes(&key.public_key_uncompressed()).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&signature).unwrap();
    assert!(public
        .verify(signed_part(&token).as_bytes(), &signature)
        .is_ok());
    assert!(public.verify(b"something else", &signature).is_err());
}

#[test]
fn a_p256_key_loads_from_pkcs8_sec1_pem_and_base64url_forms_alike() {
    use p256::pkcs8::EncodePrivateKey;
    let key = Es256Key::generate();
    let public = key.public_key_uncompressed();
    assert_eq!(public.len(), 65);
    assert_eq!(public[0], 4);
    let pkcs8 = key.secret().to_pkcs8_der().unwrap();
    let sec1 = key.secret().to_sec1_der().unwrap();
    let scalar = key.secret().to_bytes();
    let forms = [
        pem("PRIVATE KEY", pkcs8.as_bytes()),
        format!(
            "Apple's .p8 files are plain PKCS#8:\n{}",
            pem("PRIVATE KEY", pkcs8.as_bytes())
        ),
        pem("EC PRIVATE KEY", &sec1),
        // openssl ecparam -genkey writes the parameters first.
        format!(
            "{}{}",
            pem("EC PARAMETERS", &[6, 8, 42, 134, 72, 206, 61, 3, 1, 7]),
            pem("EC PRIVATE KEY", &sec1)
        ),
        b64url(&scalar),
        format!("{}=\n", b64url(&scalar)),
        b64url(pkcs8.as_bytes()),
        b64url(&sec1),
    ];
    for form in forms {
        let loaded = Es256Key::parse(&form).unwrap_or_else(|e| panic!("{e}: {form}"));
        assert_eq!(loaded.public_key_uncompressed(), public, "{form}");
    }
}

#[test]
fn key_errors_say_what_is_wrong_without_quoting_the_key() {
    let cases: Vec<(Result<(), KeyError>, &str)> = vec![
        (
            Rs256Key::from_pem("just some text").map(|_| ()),
            "holds no PEM block",
        ),
        (
            Rs256Key::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .map(|_| ()),
            "holds 'CERTIFICATE' but no private key ('PRIVATE KEY' or 'RSA PRIVATE KEY')",
        ),
        (
            Rs256Key::from_pem("-----BEGIN PRIVATE KEY-----\nMIIB$$$\n-----END PRIVATE KEY-----")
                .map(|_| ()),
            "'PRIVATE KEY' block is not valid base64",
        ),
        (
            Rs256Key::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA").map(|_| ()),
            "has no END line",
        ),
        (
            Rs256Key::from_pem(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
            )
            .map(|_| ()),
            "is encrypted",
        ),
        (
            Es256Key::from_pem("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0011\n\nAAAA\n-----END EC PRIVATE KEY-----").map(|_| ()),
            "'EC PRIVATE KEY' block is encrypted",
        ),
        (
            Rs256Key::from_pem(P384_PKCS8).map(|_| ()),
            "the key is an EC key on another curve than P-256, but RS256 needs an RSA key",
        ),
        (
            Es256Key::from_pem(RSA_PKCS8).map(|_| ()),
            "the key is an RSA key, but ES256 needs a P-256 EC key",
        ),
        (
            Es256Key::from_pem(RSA_PKCS1).map(|_| ()),
            "but no private key ('PRIVATE KEY' or 'EC PRIVATE KEY')",
        ),
        (
            Es256Key::from_pem(P384_PKCS8).map(|_| ()),
            "an EC key on another curve than P-256",
        ),
        (
            Es256Key::from_pem(ED25519_PKCS8).map(|_| ()),
            "the key is an Ed25519 key",
        ),
        (Es256Key::parse("AAAA").map(|_| ()), "is 3 bytes"),
        (
            Es256Key::parse("not base64 at all!").map(|_| ()),
            "neither PEM nor base64url",
        ),
        (
            Es256Key::from_scalar(&[0u8; 32]).map(|_| ()),
            "not a valid P-256 private key",
        ),
        (
            Es256Key::from_scalar(&[1u8; 31]).map(|_| ()),
            "32 bytes, this one is 31",
        ),
    ];
    for (result, expected) in cases {
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "{message:?} should say {expected:?}"
        );
        for secret_line in RSA_PKCS8.lines().chain(P384_PKCS8.lines()).skip(2).take(3) {
            assert!(!message.contains(&secret_line[..16]), "{message}");
        }
    }
}

#[test]
fn debug_output_of_keys_shows_no_key_material() {
    assert_eq!(format!("{:?}", Es256Key::generate()), "Es256Key(…)");
    assert_eq!(
        format!("{:?}", Rs256Key::from_pem(RSA_PKCS8).unwrap()),
        "Rs256Key(…)"
    );
}
