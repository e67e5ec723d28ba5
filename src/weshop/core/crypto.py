"""Personal data at rest: AES-256-GCM encryption, a keyed blind index, and masking.

Keys are derived from the master secret with HKDF, each for one purpose, so that the
encryption key, the blind-index key and the signing keys are never the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_VERSION = "v1"


def derive_key(master: bytes, purpose: str, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        master
    )


class PersonalDataCipher:
    """Encrypts a field to ``v1:<base64(nonce|ciphertext)>`` and indexes it by keyed hash."""

    def __init__(self, master: bytes) -> None:
        self._aead = AESGCM(derive_key(master, "weshop/personal-data/aes-gcm"))
        self._index_key = derive_key(master, "weshop/personal-data/blind-index")

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode() or None)
        return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        version, _, payload = token.partition(":")
        if version != _VERSION:
            raise ValueError("unknown ciphertext version")
        raw = base64.b64decode(payload)
        return self._aead.decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode() or None
        ).decode()

    def blind_index(self, value: str, *, kind: str) -> str:
        """Deterministic keyed hash, to find a row by an encrypted value without decrypting."""
        mac = hmac.new(self._index_key, f"{kind}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()


_cipher: PersonalDataCipher | None = None


def configure_cipher(master: bytes) -> PersonalDataCipher:
    global _cipher
    _cipher = PersonalDataCipher(master)
    return _cipher


def cipher() -> PersonalDataCipher:
    if _cipher is None:
        raise RuntimeError("personal-data cipher is not configured; call configure_cipher()")
    return _cipher


MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalize_phone(raw: str) -> str:
    """Strip spaces, dashes and a +86 prefix; the result must be a mainland mobile number."""
    digits = re.sub(r"[ \t\-]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not MAINLAND_MOBILE.fullmatch(digits):
        raise ValueError("not a mainland China mobile number")
    return digits


def mask_phone(phone: str | None) -> str:
    """``13800000000`` -> ``138****0000``; no phone (an account made by a WeChat sign-in,
    not yet verified) -> ``""``."""
    if phone is None:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """``张三丰`` -> ``张**``."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_text(text: str, keep: int = 2) -> str:
    """Keep the first characters of a street address and hide the rest."""
    if len(text) <= keep:
        return "*" * len(text)
    return text[:keep] + "*" * min(len(text) - keep, 6)
