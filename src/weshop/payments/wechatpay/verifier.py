"""Checks WeChat Pay's signature on an answer or a callback.

The platform key is known in advance (a public key with its ID, or platform certificates);
a message signed under any other serial, outside five minutes of now, or whose signature
does not match the body is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from weshop.core.clock import utcnow
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.errors import SignatureRejected

MAX_CLOCK_SKEW = timedelta(minutes=5)
# WeChat Pay sends probe callbacks with a deliberately broken signature of this prefix, to
# check that merchants really verify; they must be refused like any bad signature.
PROBE_SIGNATURE_PREFIX = "WECHATPAY/SIGNTEST/"


class PlatformVerifier:
    def __init__(
        self,
        keys: Mapping[str, rsa.RSAPublicKey],
        *,
        clock: Callable[[], datetime] = utcnow,
        max_skew: timedelta = MAX_CLOCK_SKEW,
    ) -> None:
        if not keys:
            raise ValueError("at least one WeChat Pay platform key is needed")
        self._keys = dict(keys)
        self._clock = clock
        self._max_skew = max_skew

    @property
    def serials(self) -> list[str]:
        return list(self._keys)

    def encryption_key(self) -> tuple[str, rsa.RSAPublicKey]:
        """The platform key to encrypt sensitive fields with, and its serial for the header."""
        serial = next(iter(self._keys))
        return serial, self._keys[serial]

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        serial = lowered.get("wechatpay-serial", "")
        signature = lowered.get("wechatpay-signature", "")
        timestamp = lowered.get("wechatpay-timestamp", "")
        nonce = lowered.get("wechatpay-nonce", "")
        if not (serial and signature and timestamp and nonce):
            raise SignatureRejected("missing Wechatpay-* signature headers")
        if signature.startswith(PROBE_SIGNATURE_PREFIX):
            raise SignatureRejected("signature probe")
        key = self._keys.get(serial)
        if key is None:
            raise SignatureRejected(f"unknown platform serial {serial}")
        if not timestamp.isdigit():
            raise SignatureRejected("malformed timestamp")
        if abs(self._clock().timestamp() - int(timestamp)) > self._max_skew.total_seconds():
            raise SignatureRejected("stale timestamp")
        if not crypto.verify(key, crypto.response_message(timestamp, nonce, body), signature):
            raise SignatureRejected("signature does not match")
