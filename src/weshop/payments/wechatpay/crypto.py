"""The cryptography of WeChat Pay APIv3, as pure functions over `cryptography`.

- Requests are signed by the merchant: RSA-SHA256 (PKCS#1 v1.5) over
  ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n``, sent in ``Authorization``.
- Answers and callbacks are signed by WeChat Pay the same way over ``TIMESTAMP\\nNONCE\\nBODY\\n``.
- Callback resources are encrypted with AEAD_AES_256_GCM under the merchant's APIv3 key.
- Sensitive request fields (names, ID and account numbers) are encrypted with RSAES-OAEP
  (SHA-1, MGF1-SHA-1) under WeChat Pay's platform public key.

Messages are bytes: a body is signed exactly as it travels, whatever its encoding.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
AEAD_ALGORITHM = "AEAD_AES_256_GCM"
APIV3_KEY_LENGTH = 32

_AUTH_PARAM = re.compile(r'\s*(\w+)="([^"]*)"\s*(?:,|$)')
_NONCE_ALPHABET = string.ascii_letters + string.digits


class CryptoError(ValueError):
    """Ciphertext or key material that cannot be used."""


def new_nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def request_message(method: str, url: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the merchant signs; ``url`` is the path and query exactly as sent."""
    return f"{method}\n{url}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What WeChat Pay signs on an answer or a callback."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    raw = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def authorization(
    *,
    mchid: str,
    serial_no: str,
    private_key: rsa.RSAPrivateKey,
    method: str,
    url: str,
    body: bytes,
    timestamp: str,
    nonce: str,
) -> str:
    """The ``Authorization`` header value of one request."""
    signature = sign(private_key, request_message(method, url, timestamp, nonce, body))
    return (
        f'{AUTH_SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(value: str) -> dict[str, str]:
    """The parameters of an ``Authorization`` header; ValueError when it is not APIv3's."""
    scheme, _, params = value.strip().partition(" ")
    if scheme != AUTH_SCHEME:
        raise ValueError(f"authorization scheme must be {AUTH_SCHEME}")
    parsed: dict[str, str] = {}
    position = 0
    while position < len(params):
        match = _AUTH_PARAM.match(params, position)
        if match is None:
            raise ValueError("malformed authorization parameters")
        parsed[match.group(1)] = match.group(2)
        position = match.end()
    return parsed


def jsapi_pay_message(appid: str, timestamp: str, nonce: str, package: str) -> bytes:
    """What the merchant signs for the WeChat client to start a JSAPI / mini-program payment."""
    return f"{appid}\n{timestamp}\n{nonce}\n{package}\n".encode()


def check_apiv3_key(key: bytes) -> bytes:
    if len(key) != APIV3_KEY_LENGTH:
        raise CryptoError(f"the APIv3 key must be {APIV3_KEY_LENGTH} bytes")
    return key


def encrypt_resource(
    apiv3_key: bytes, plaintext: bytes, associated_data: str, nonce: str | None = None
) -> dict[str, str]:
    """A callback ``resource`` object (without ``original_type``)."""
    nonce = nonce or new_nonce(12)
    sealed = AESGCM(check_apiv3_key(apiv3_key)).encrypt(
        nonce.encode(), plaintext, associated_data.encode()
    )
    return {
        "algorithm": AEAD_ALGORITHM,
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def decrypt_resource(
    apiv3_key: bytes, *, ciphertext: str, nonce: str, associated_data: str
) -> bytes:
    """Open a callback ``resource``; CryptoError when the key, nonce or data do not match."""
    try:
        sealed = base64.b64decode(ciphertext, validate=True)
        return AESGCM(check_apiv3_key(apiv3_key)).decrypt(
            nonce.encode(), sealed, associated_data.encode()
        )
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise CryptoError("the resource does not decrypt under this APIv3 key") from exc


def encrypt_sensitive(public_key: rsa.RSAPublicKey, text: str) -> str:
    sealed = public_key.encrypt(text.encode(), _oaep())
    return base64.b64encode(sealed).decode()


def decrypt_sensitive(private_key: rsa.RSAPrivateKey, ciphertext: str) -> str:
    try:
        return private_key.decrypt(base64.b64decode(ciphertext, validate=True), _oaep()).decode()
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("the field does not decrypt under this platform key") from exc


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CryptoError("WeChat Pay keys are RSA keys")
    return key


def load_public_key(pem: bytes) -> tuple[rsa.RSAPublicKey, str | None]:
    """A public key from a PEM certificate (with its serial) or a bare public key (without)."""
    if b"BEGIN CERTIFICATE" in pem:
        certificate = x509.load_pem_x509_certificate(pem)
        key, serial = certificate.public_key(), certificate_serial(certificate)
    else:
        key, serial = serialization.load_pem_public_key(pem), None
    if not isinstance(key, rsa.RSAPublicKey):
        raise CryptoError("WeChat Pay keys are RSA keys")
    return key, serial


def certificate_serial(certificate: x509.Certificate) -> str:
    """The serial as WeChat Pay writes it: upper-case hex, an even number of digits."""
    digits = f"{certificate.serial_number:X}"
    return digits if len(digits) % 2 == 0 else "0" + digits
