"""Independent checks of Tocsin's provider wire formats (driven by tests/api/wire.rs).

Subcommands, each reading one JSON object on stdin and writing one on stdout:
  keys        -> fresh keys made here, as a browser, Google or Apple would hand them out
  decrypt     {body, ua_private, auth}                  -> {plaintext}  (http_ece, RFC 8291)
  verify-jwt  {token, alg, key_pem | public_key, audience?} -> {header, claims}  (PyJWT)
A failed check exits non-zero with the reason on stderr.
"""
import base64
import json
import sys

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pem(key, fmt) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def uncompressed(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def keys(_request):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    apns_key = ec.generate_private_key(ec.SECP256R1())
    vapid_key = ec.generate_private_key(ec.SECP256R1())
    browser_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "rsa_pkcs8": pem(rsa_key, serialization.PrivateFormat.PKCS8),
        "rsa_pkcs1": pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL),
        "apns_p8": pem(apns_key, serialization.PrivateFormat.PKCS8),
        "vapid_raw": b64url(vapid_key.private_numbers().private_value.to_bytes(32, "big")),
        "vapid_public": b64url(uncompressed(vapid_key.public_key())),
        "ua_private": b64url(browser_key.private_numbers().private_value.to_bytes(32, "big")),
        "ua_public": b64url(uncompressed(browser_key.public_key())),
    }


def decrypt(request):
    private_value = int.from_bytes(unb64url(request["ua_private"]), "big")
    browser_key = ec.derive_private_key(private_value, ec.SECP256R1())
    plaintext = http_ece.decrypt(
        unb64url(request["body"]),
        private_key=browser_key,
        auth_secret=unb64url(request["auth"]),
        version="aes128gcm",
    )
    return {"plaintext": b64url(plaintext)}


def verify_jwt(request):
    if "key_pem" in request:
        key = serialization.load_pem_private_key(request["key_pem"].encode(), password=None).public_key()
    else:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(request["public_key"]))
    options = {"require": ["iat"]} if request.get("require_iat") else {}
    claims = jwt.decode(
        request["token"],
        key=key,
        algorithms=[request["alg"]],
        audience=request.get("audience"),
        options={"verify_aud": "audience" in request, **options},
    )
    return {"header": jwt.get_unverified_header(request["token"]), "claims": claims}


COMMANDS = {"keys": keys, "decrypt": decrypt, "verify-jwt": verify_jwt}

if __name__ == "__main__":
    command = COMMANDS[sys.argv[1]]
    try:
        print(json.dumps(command(json.load(sys.stdin))))
    except Exception as error:  # the Rust side shows this
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
