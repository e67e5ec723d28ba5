"""The APIv3 cryptography against a vector computed independently (``openssl dgst -sha256
-sign vector_key.pem``) and against tampering."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from weshop.payments.wechatpay import crypto

VECTOR_KEY = Path(__file__).with_name("vector_key.pem")  # a test-only key, no secret
VECTOR_BODY = (
    '{"appid":"wxd678efh567hg6787","mchid":"1900000109","description":"Image形象店-深圳腾大-QQ公仔",'
    '"out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/'
    'pay.php","amount":{"total":1,"currency":"CNY"}}'
)
# printf 'POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n
# <VECTOR_BODY>\n' | openssl dgst -sha256 -sign vector_key.pem | base64 -w0
VECTOR_SIGNATURE = (
    "YvxyFwAkznd2QHHPrEvaNAEpijWcSJMXeM9moNdvMA/8/r24OhLc+1pMOI1uNfPw2ISspYfuTRN3g4xAVvb49zQrW9pP"
    "mlp2D17SNQ9u/ggLD6zUVwWE8GoiVrFRtDk0fCYiSpmngk7Ppdt28SaAM1ywvjtUfxqO9FHPdE/oitvTQaC/UTGk503o"
    "+5SVHq9xAQc5fbD3aIETBHyDaXVvg9YOgjPgXBeZG/qtKD9Xt3GHWfHyxFcBBBSg7FpCGUPkoCmf8YoJpX+HVVBZxTC7"
    "r2w1ng3jONvYhIiGoxHyR9Ydbtm4yErASzfFiKAZAmxVChERgEEPk3dK+y7WLcomww=="
)


def vector_key():
    return crypto.load_private_key(VECTOR_KEY.read_bytes())


def test_request_signature_matches_the_openssl_vector() -> None:
    message = crypto.request_message(
        "POST",
        "/v3/pay/transactions/native",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        VECTOR_BODY.encode(),
    )
    assert crypto.sign(vector_key(), message) == VECTOR_SIGNATURE
    assert crypto.verify(vector_key().public_key(), message, VECTOR_SIGNATURE)


def test_authorization_header_has_the_documented_shape() -> None:
    header = crypto.authorization(
        mchid="1900000109",
        serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
        private_key=vector_key(),
        method="POST",
        url="/v3/pay/transactions/native",
        body=VECTOR_BODY.encode(),
        timestamp="1554208460",
        nonce="593BEC0C930BF1AFEB40B4A08C8FB242",
    )
    assert header == (
        'WECHATPAY2-SHA256-RSA2048 mchid="1900000109",'
        'nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
        f'signature="{VECTOR_SIGNATURE}",timestamp="1554208460",'
        'serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"'
    )
    assert crypto.parse_authorization(header)["signature"] == VECTOR_SIGNATURE
    with pytest.raises(ValueError):
        crypto.parse_authorization(header.replace("WECHATPAY2-SHA256-RSA2048", "Bearer"))


def test_a_changed_byte_breaks_the_signature() -> None:
    key = vector_key()
    message = crypto.response_message("1554208460", "NONCE", b'{"code_url":"weixin://x"}')
    signature = crypto.sign(key, message)
    assert not crypto.verify(key.public_key(), message.replace(b"x", b"y"), signature)
    assert not crypto.verify(key.public_key(), message, "not base64!")
    forged = base64.b64encode(b"\0" * 256).decode()
    assert not crypto.verify(key.public_key(), message, forged)


def test_resource_decrypts_only_under_the_right_key_and_data() -> None:
    key = b"0123456789abcdefghijklmnopqrstuv"
    sealed = crypto.encrypt_resource(key, b'{"out_trade_no":"1"}', "transaction")
    assert sealed["algorithm"] == "AEAD_AES_256_GCM" and len(sealed["nonce"]) == 12
    opened = crypto.decrypt_resource(
        key,
        ciphertext=sealed["ciphertext"],
        nonce=sealed["nonce"],
        associated_data=sealed["associated_data"],
    )
    assert opened == b'{"out_trade_no":"1"}'
    for wrong in (
        {"apiv3_key": b"X" * 32},
        {"associated_data": "refund"},
        {"nonce": "AAAAAAAAAAAA"},
    ):
        arguments = {
            "apiv3_key": key,
            "ciphertext": sealed["ciphertext"],
            "nonce": sealed["nonce"],
            "associated_data": sealed["associated_data"],
            **wrong,
        }
        with pytest.raises(crypto.CryptoError):
            crypto.decrypt_resource(arguments.pop("apiv3_key"), **arguments)
    with pytest.raises(crypto.CryptoError):
        crypto.check_apiv3_key(b"too short")
