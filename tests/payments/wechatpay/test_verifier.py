"""WeChat Pay's signature on answers and callbacks: each way of faking it is refused."""

from __future__ import annotations

import pytest

from tests.paysim.fixtures import FakeClock
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.errors import SignatureRejected
from weshop.payments.wechatpay.verifier import PlatformVerifier
from weshop.paysim.identity import new_key

BODY = b'{"id":"EV-2018022511223320873","event_type":"TRANSACTION.SUCCESS"}'


def signed(platform, clock: FakeClock, body: bytes = BODY, **changes: str) -> dict[str, str]:
    timestamp, nonce = str(int(clock().timestamp())), crypto.new_nonce()
    headers = {
        "Wechatpay-Serial": platform.serial,
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": crypto.sign(
            platform.private_key, crypto.response_message(timestamp, nonce, body)
        ),
    }
    headers.update(changes)
    return headers


@pytest.fixture
def verifier(platform, clock) -> PlatformVerifier:
    return PlatformVerifier({platform.serial: platform.private_key.public_key()}, clock=clock)


def test_a_genuine_message_verifies(verifier, platform, clock) -> None:
    verifier.verify(signed(platform, clock), BODY)
    lowercase = {name.lower(): value for name, value in signed(platform, clock).items()}
    verifier.verify(lowercase, BODY)


@pytest.mark.parametrize(
    ("why", "reason"),
    [
        ("forged", "does not match"),
        ("tampered_body", "does not match"),
        ("stale", "stale"),
        ("future", "stale"),
        ("unknown_serial", "unknown platform serial"),
        ("probe", "probe"),
        ("missing", "missing"),
    ],
)
def test_fakes_are_refused(verifier, platform, clock, why: str, reason: str) -> None:
    headers, body = signed(platform, clock), BODY
    if why == "forged":
        impostor = new_key()
        ts, nonce = headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"]
        headers["Wechatpay-Signature"] = crypto.sign(
            impostor, crypto.response_message(ts, nonce, body)
        )
    elif why == "tampered_body":
        body = BODY.replace(b"SUCCESS", b"REFUND")
    elif why == "stale":
        clock.advance(minutes=5, seconds=1)
    elif why == "future":
        clock.advance(minutes=-6)
    elif why == "unknown_serial":
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_0000000000000000000000000000"
    elif why == "probe":
        headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]
    else:
        del headers["Wechatpay-Nonce"]
    with pytest.raises(SignatureRejected, match=reason):
        verifier.verify(headers, body)


def test_a_message_just_inside_five_minutes_passes(verifier, platform, clock) -> None:
    headers = signed(platform, clock)
    clock.advance(minutes=5)
    verifier.verify(headers, BODY)
