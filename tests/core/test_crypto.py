"""Personal data: AES-GCM at rest, a keyed blind index, masking in answers and logs."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from weshop.core.crypto import (
    PersonalDataCipher,
    derive_key,
    mask_name,
    mask_phone,
    mask_text,
    normalize_phone,
)
from weshop.core.logging import Redactor

MASTER = b"test-master-secret-for-core-tests"


@pytest.fixture(scope="module")
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(MASTER)


@pytest.mark.parametrize(
    "plaintext",
    ["13800000000", "张三丰", "浙江省杭州市西湖区文三路 100 号 1 单元 101", "", "😀 emoji"],
)
def test_round_trip(cipher: PersonalDataCipher, plaintext: str) -> None:
    token = cipher.encrypt(plaintext, context="address.detail")
    assert token.startswith("v1:")
    assert plaintext not in token or plaintext == ""
    assert cipher.decrypt(token, context="address.detail") == plaintext
    # Another cipher from the same master secret (another process) reads it too.
    assert PersonalDataCipher(MASTER).decrypt(token, context="address.detail") == plaintext


@settings(max_examples=100, deadline=None)
@given(plaintext=st.text(max_size=200), context=st.text(max_size=20))
def test_round_trip_any_text(plaintext: str, context: str) -> None:
    cipher = PersonalDataCipher(MASTER)
    assert cipher.decrypt(cipher.encrypt(plaintext, context=context), context=context) == plaintext


def test_ciphertext_differs_every_time(cipher: PersonalDataCipher) -> None:
    tokens = {cipher.encrypt("13800000000", context="user.phone") for _ in range(50)}
    assert len(tokens) == 50
    nonces = {base64.b64decode(token[3:])[:12] for token in tokens}
    assert len(nonces) == 50


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])
def test_tampered_ciphertext_fails(cipher: PersonalDataCipher, position: int) -> None:
    token = cipher.encrypt("张三 13800000000", context="user.phone")
    raw = bytearray(base64.b64decode(token[3:]))
    raw[position] ^= 0x01
    tampered = "v1:" + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(InvalidTag):
        cipher.decrypt(tampered, context="user.phone")


def test_truncated_or_foreign_tokens_fail(cipher: PersonalDataCipher) -> None:
    token = cipher.encrypt("13800000000", context="user.phone")
    with pytest.raises(InvalidTag):
        cipher.decrypt(token[:-8] + "AAAAAAA=", context="user.phone")
    with pytest.raises(ValueError):
        cipher.decrypt("v2:" + token[3:], context="user.phone")
    with pytest.raises(ValueError):
        cipher.decrypt("13800000000", context="user.phone")


def test_wrong_context_or_key_fails(cipher: PersonalDataCipher) -> None:
    token = cipher.encrypt("13800000000", context="user.phone")
    with pytest.raises(InvalidTag):
        cipher.decrypt(token, context="address.phone")
    with pytest.raises(InvalidTag):
        cipher.decrypt(token)
    with pytest.raises(InvalidTag):
        PersonalDataCipher(b"another-master-secret").decrypt(token, context="user.phone")
    no_context = cipher.encrypt("13800000000")
    with pytest.raises(InvalidTag):
        cipher.decrypt(no_context, context="user.phone")


def test_blind_index(cipher: PersonalDataCipher) -> None:
    index = cipher.blind_index("13800000000", kind="phone")
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert cipher.blind_index("13800000000", kind="phone") == index
    assert PersonalDataCipher(MASTER).blind_index("13800000000", kind="phone") == index
    assert cipher.blind_index("13800000001", kind="phone") != index
    assert cipher.blind_index("13800000000", kind="id_number") != index
    assert PersonalDataCipher(b"another-master").blind_index("13800000000", kind="phone") != index
    assert "13800000000" not in index


def test_derived_keys_differ_per_purpose() -> None:
    keys = {derive_key(MASTER, purpose) for purpose in ("a", "b", "c")}
    assert len(keys) == 3
    assert all(len(key) == 32 for key in keys)
    assert derive_key(MASTER, "a") == derive_key(MASTER, "a")
    assert derive_key(b"other", "a") != derive_key(MASTER, "a")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13800000000", "13800000000"),
        ("+86 138-0000-0000", "13800000000"),
        ("+8613912345678", "13912345678"),
        ("0086 139 1234 5678", "13912345678"),
        (" 199-9999-9999 ", "19999999999"),
    ],
)
def test_normalize_phone_accepts_mainland_mobiles(raw: str, normalized: str) -> None:
    assert normalize_phone(raw) == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "12345678901",
        "abc",
        "",
        "1380000000",
        "138000000000",
        "23800000000",
        "10800000000",
        "+1 138 0000 0000",
        "138.0000.0000",
        "13800000000\n1",
    ],
)
def test_normalize_phone_rejects_everything_else(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "138" + "\uff10" * 8,  # full-width digits, as a Chinese IME types them
        "138" + "\u0660" * 8,  # Arabic-Indic digits
        "13800000000\n",  # a pasted line: ``$`` alone would match before the newline
        "+86 13800000000\r\n",
    ],
)
def test_normalize_phone_returns_only_canonical_numbers(raw: str) -> None:
    """A normalised phone feeds the blind index and the SMS sender: it must be canonical."""
    try:
        normalized = normalize_phone(raw)
    except ValueError:
        return
    assert normalized == "13800000000"


@settings(max_examples=200, deadline=None)
@given(raw=st.from_regex(r"(\+86|0086)?[ -]?1[3-9]\d{9}\s?", fullmatch=True) | st.text(max_size=20))
def test_normalize_phone_output_is_always_eleven_ascii_digits(raw: str) -> None:
    try:
        normalized = normalize_phone(raw)
    except ValueError:
        return
    assert re.fullmatch(r"1[3-9][0-9]{9}", normalized, flags=re.ASCII), normalized


def test_masks() -> None:
    assert mask_phone("13800001234") == "138****1234"
    assert mask_phone("123") == "***"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李"
    assert mask_name("") == ""
    assert mask_text("浙江省杭州市西湖区文三路100号") == "浙江******"
    assert mask_text("浙江") == "**"
    assert mask_text("浙江省", keep=2) == "浙江*"
    assert mask_text("浙江省杭州市", keep=3) == "浙江省***"


def _digits(value: object) -> str:
    return re.sub(r"\D", "", repr(value))


def test_log_processor_masks_mobiles_in_nested_values() -> None:
    event = {
        "event": "手机13812345678已注册",
        "user": {"phone": "13912345678", "tags": ["vip", "call 15012345678 now"]},
        "pair": ("18612345678", 42),
        "order_id": 13812345678,  # an int is not personal data in a string and is left alone
    }
    masked = Redactor()(None, "info", event)
    assert masked["event"] == "手机138****5678已注册"
    assert masked["user"] == {"phone": "139****5678", "tags": ["vip", "call 150****5678 now"]}
    assert masked["pair"] == ["186****5678", 42]
    assert masked["order_id"] == 13812345678
    # Longer digit runs (order numbers, timestamps) are not mistaken for phones.
    assert Redactor()(None, "info", {"no": "2024138123456789"}) == {"no": "2024138123456789"}


@pytest.mark.parametrize(
    "text",
    [
        "+8613812345678",
        "phone=+86 138-1234-5678",
        "0086 13812345678",
        "138 1234 5678",
        "138-1234-5678",
    ],
)
def test_log_processor_masks_every_form_normalize_phone_accepts(text: str) -> None:
    """If ``normalize_phone`` reads it as a mobile number, the logs must not show it whole."""
    assert normalize_phone(text.removeprefix("phone=")) == "13812345678"
    masked = Redactor()(None, "info", {"event": "sms.sent", "to": text})
    assert "13812345678" not in _digits(masked["to"]), masked
