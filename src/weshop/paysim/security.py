"""WeChat Pay's side of the signatures: check the merchant's, sign the answers and callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from weshop.payments.wechatpay import crypto
from weshop.paysim.errors import ApiError
from weshop.paysim.identity import PlatformIdentity
from weshop.paysim.store import Row, Store

MAX_CLOCK_SKEW = timedelta(minutes=5)
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"


@dataclass(frozen=True)
class Caller:
    """The merchant a verified request comes from."""

    mchid: str
    role: str  # direct | platform
    appid: str


def _sign_error(message: str, detail: dict[str, object] | None = None) -> ApiError:
    return ApiError(401, "SIGN_ERROR", message, detail)


def merchant_public_key(row: Row) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(str(row["public_key_pem"]).encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def authenticate(
    store: Store,
    now: datetime,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Caller:
    """Verify ``Authorization``; ``url`` is the path and query exactly as received."""
    header = headers.get("authorization", "")
    if not header:
        raise _sign_error("Authorization不能为空")
    try:
        params = crypto.parse_authorization(header)
    except ValueError as exc:
        raise _sign_error(f"Authorization不合法: {exc}") from exc
    missing = [
        name
        for name in ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
        if not params.get(name)
    ]
    if missing:
        raise _sign_error(f"Authorization缺少参数: {', '.join(missing)}")
    merchant = store.one(
        "SELECT * FROM merchants WHERE mchid = ? AND role IN ('direct', 'platform')",
        (params["mchid"],),
    )
    if merchant is None:
        raise _sign_error("商户号不存在或未配置API证书")
    if params["serial_no"] != merchant["serial_no"]:
        raise _sign_error("商户证书序列号有误。请使用签名私钥匹配的证书序列号")
    timestamp = params["timestamp"]
    if not timestamp.isdigit():
        raise _sign_error("timestamp不合法")
    if abs(now.timestamp() - int(timestamp)) > MAX_CLOCK_SKEW.total_seconds():
        raise _sign_error("请求的时间戳已过期，请检查系统时间")
    message = crypto.request_message(method, url, timestamp, params["nonce_str"], body)
    if not crypto.verify(merchant_public_key(merchant), message, params["signature"]):
        raise _sign_error(
            "签名错误，请检查后再试",
            {
                "field": "signature",
                "location": "authorization",
                "sign_information": {
                    "method": method,
                    "url": url,
                    "sign_message_length": len(message),
                    "truncated_sign_message": message[:64].decode("utf-8", "replace"),
                },
            },
        )
    return Caller(mchid=merchant["mchid"], role=merchant["role"], appid=merchant["appid"])


def signature_headers(platform: PlatformIdentity, now: datetime, body: bytes) -> dict[str, str]:
    timestamp, nonce = str(int(now.timestamp())), crypto.new_nonce()
    message = crypto.response_message(timestamp, nonce, body)
    return {
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": platform.serial,
        "Wechatpay-Signature": crypto.sign(platform.private_key, message),
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        "Wechatpay-Timestamp": timestamp,
    }


def decrypt_field(platform: PlatformIdentity, field: str, ciphertext: str) -> str:
    """A sensitive request field, encrypted by the merchant with the platform key."""
    try:
        return crypto.decrypt_sensitive(platform.private_key, ciphertext)
    except crypto.CryptoError as exc:
        raise ApiError(
            400,
            "PARAM_ERROR",
            f"{field}解密失败，请使用微信支付平台公钥加密",
            {"field": field, "location": "body", "issue": "decrypt failed"},
        ) from exc


def require_encryption_serial(platform: PlatformIdentity, headers: Mapping[str, str]) -> None:
    serial = headers.get("wechatpay-serial", "")
    if serial != platform.serial:
        raise ApiError(
            400,
            "PARAM_ERROR",
            "请求头Wechatpay-Serial与加密所用的平台证书不符",
            {"field": "Wechatpay-Serial", "location": "header", "value": serial},
        )
