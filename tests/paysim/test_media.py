"""Image upload (``POST /v3/merchant/media/upload``): multipart with a ``meta`` JSON part
signed alone, the image's SHA-256 checked, JPG/BMP/PNG of at most 2 MB; the media_id answered
names the image in a sub-merchant application."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.media.test_media import png_bytes
from tests.paysim.test_applyments import FORM
from tests.paysim.test_flows import expect_error
from weshop.payments.wechatpay.applyments import MEDIA_UPLOAD
from weshop.payments.wechatpay.errors import WechatPayApiError

PNG = png_bytes(8, 6)


def meta(filename: str, data: bytes) -> bytes:
    return json.dumps({"filename": filename, "sha256": hashlib.sha256(data).hexdigest()}).encode()


async def test_an_uploaded_image_names_itself_in_an_application(partner, sim) -> None:
    front = await partner.applyments.upload_image("id-front.png", PNG)
    back = await partner.applyments.upload_image("id-back.png", png_bytes(9, 6))
    assert front.startswith("V1_") and front != back
    assert sim.media.exists(partner.client.mchid, front)
    form = {**FORM, "id_card_info": {**FORM["id_card_info"], "id_card_copy": front}}
    form["id_card_info"]["id_card_national"] = back
    submitted = await partner.applyments.submit("APPLY-MEDIA-1", form)
    assert submitted["out_request_no"] == "APPLY-MEDIA-1"


async def test_the_signature_covers_the_meta(partner) -> None:
    # Signed over one meta, sent with another: WeChat Pay refuses the signature.
    sent, signed = meta("a.png", PNG), meta("b.png", PNG)
    client = partner.client
    boundary = "weshopboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\n\r\n'.encode()
        + sent
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="a.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await client._send("POST", MEDIA_UPLOAD, body, headers, signed=signed)
    assert response.status_code == 401
    assert response.json()["code"] == "SIGN_ERROR"
    # Signed over the whole multipart body (as for JSON): refused too.
    response = await client._send("POST", MEDIA_UPLOAD, body, headers)
    assert response.status_code == 401


async def test_a_sha256_that_does_not_match_is_refused(partner) -> None:
    lying = meta("a.png", png_bytes(3, 3))
    with pytest.raises(WechatPayApiError) as exc_info:
        await partner.client.upload(MEDIA_UPLOAD, lying, "a.png", PNG)
    expect_error(exc_info, 400, "PARAM_ERROR")
    assert exc_info.value.detail["field"] == "meta/sha256"


@pytest.mark.parametrize(
    ("filename", "data", "field"),
    [
        ("big.png", PNG + b"\x00" * (2 * 1024 * 1024), "file"),
        ("a.gif", b"GIF89a" + b"\x00" * 20, "meta/filename"),
        ("a.png", b"\xff\xd8\xff\xe0 a jpeg named png", "file"),
        ("noext", PNG, "meta/filename"),
        ("", PNG, "meta/filename"),
    ],
)
async def test_size_and_type_limits(partner, filename, data, field) -> None:
    with pytest.raises(WechatPayApiError) as exc_info:
        await partner.client.upload(MEDIA_UPLOAD, meta(filename, data), filename or "x", data)
    expect_error(exc_info, 400, "PARAM_ERROR")
    assert exc_info.value.detail["field"] == field


async def test_malformed_meta_is_a_param_error(partner) -> None:
    with pytest.raises(WechatPayApiError) as exc_info:
        await partner.client.upload(MEDIA_UPLOAD, b"{not json", "a.png", PNG)
    expect_error(exc_info, 400, "PARAM_ERROR")
