"""Callbacks from WeChat Pay: verify the signature, then decrypt the ``resource``.

A callback body looks like ``{"id", "create_time", "event_type", "resource_type",
"summary", "resource": {"algorithm", "ciphertext", "associated_data", "original_type",
"nonce"}}``; the resource decrypts (AEAD_AES_256_GCM, APIv3 key) to the transaction or the
refund. Anything that fails a check raises InvalidNotification: the endpoint answers 4xx
and WeChat Pay will send it again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from weshop.payments.provider import InvalidNotification, strict_fen
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.errors import SignatureRejected
from weshop.payments.wechatpay.verifier import PlatformVerifier

PAYMENT_SUCCEEDED = "TRANSACTION.SUCCESS"
REFUND_EVENTS = ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")


@dataclass(frozen=True)
class Notification:
    id: str
    event_type: str
    create_time: str
    summary: str
    original_type: str
    resource: dict[str, Any]


@dataclass(frozen=True)
class RefundNotice:
    notification_id: str
    event_type: str
    out_trade_no: str
    transaction_id: str
    out_refund_no: str
    refund_id: str
    refund_status: str
    refund_fen: int
    success_time: datetime | None
    raw: dict[str, Any]


def parse_notification(
    verifier: PlatformVerifier, apiv3_key: bytes, headers: Mapping[str, str], body: bytes
) -> Notification:
    try:
        verifier.verify(headers, body)
    except SignatureRejected as exc:
        raise InvalidNotification(str(exc)) from exc
    try:
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource.get("algorithm") != crypto.AEAD_ALGORITHM:
            raise InvalidNotification("unsupported resource algorithm")
        plaintext = crypto.decrypt_resource(
            apiv3_key,
            ciphertext=str(resource["ciphertext"]),
            nonce=str(resource["nonce"]),
            associated_data=str(resource.get("associated_data", "")),
        )
        decrypted = json.loads(plaintext)
        if not isinstance(decrypted, dict):
            raise InvalidNotification("the resource is not an object")
        return Notification(
            id=str(envelope["id"]),
            event_type=str(envelope["event_type"]),
            create_time=str(envelope.get("create_time", "")),
            summary=str(envelope.get("summary", "")),
            original_type=str(resource.get("original_type", "")),
            resource=decrypted,
        )
    except crypto.CryptoError as exc:
        raise InvalidNotification("the resource does not decrypt under the APIv3 key") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidNotification("malformed notification") from exc


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a WeChat Pay time carries its offset")
    return moment


def refund_notice(notification: Notification) -> RefundNotice:
    if notification.event_type not in REFUND_EVENTS or notification.original_type != "refund":
        raise InvalidNotification(f"not a refund notification: {notification.event_type}")
    data = notification.resource
    try:
        success = data.get("success_time")
        return RefundNotice(
            notification_id=notification.id,
            event_type=notification.event_type,
            out_trade_no=str(data["out_trade_no"]),
            transaction_id=str(data["transaction_id"]),
            out_refund_no=str(data["out_refund_no"]),
            refund_id=str(data["refund_id"]),
            refund_status=str(data["refund_status"]),
            refund_fen=strict_fen(data["amount"]["refund"]),
            success_time=parse_time(success) if success else None,
            raw=data,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidNotification("malformed refund notification") from exc
