"""E-commerce sub-merchant onboarding (二级商户进件): submit, then query until WeChat Pay's
review gives the store its ``sub_mchid``.

Personal fields of the form are encrypted with the platform key before they leave WeShop.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from weshop.payments.wechatpay.client import WechatPayClient
from weshop.payments.wechatpay.transactions import path_segment

# The fields WeChat Pay wants encrypted, per object of the form.
SENSITIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "id_card_info": ("id_card_name", "id_card_number", "id_card_address"),
    "id_doc_info": ("id_doc_name", "id_doc_number", "id_doc_address"),
    "account_info": ("account_name", "account_number"),
    "contact_info": ("contact_name", "contact_id_card_number", "mobile_phone", "contact_email"),
    "ubo_info_list": ("ubo_id_doc_name", "ubo_id_doc_number", "ubo_id_doc_address"),
}
FINISHED = "FINISH"
MEDIA_UPLOAD = "/v3/merchant/media/upload"


class Applyments:
    def __init__(self, client: WechatPayClient) -> None:
        self.client = client

    async def submit(self, out_request_no: str, form: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a sub-merchant's application; ``form`` holds personal fields in clear text,
        they are encrypted here. Idempotent by ``out_request_no``."""
        body = self._encrypted(form)
        body["out_request_no"] = out_request_no
        answer = await self.client.request(
            "POST", "/v3/ecommerce/applyments/", body=body, encrypted_fields=True
        )
        return answer.data or {}

    async def upload_image(self, filename: str, data: bytes) -> str:
        """Upload an image (a licence, an ID card side) and return the ``media_id`` the
        application names it by. The signature covers the ``meta`` JSON, which carries the
        image's SHA-256."""
        meta = json.dumps(
            {"filename": filename, "sha256": hashlib.sha256(data).hexdigest()},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        answer = await self.client.upload(MEDIA_UPLOAD, meta, filename, data)
        return str((answer.data or {}).get("media_id", ""))

    async def query(self, out_request_no: str) -> dict[str, Any]:
        """``applyment_state`` (CHECKING, AUDITING, NEED_SIGN, FINISH, REJECTED…) and, once
        FINISH, the ``sub_mchid``."""
        answer = await self.client.request(
            "GET", f"/v3/ecommerce/applyments/out-request-no/{path_segment(out_request_no)}"
        )
        return answer.data or {}

    def _encrypted(self, form: Mapping[str, Any]) -> dict[str, Any]:
        body = copy.deepcopy(dict(form))
        for section, fields in SENSITIVE_FIELDS.items():
            parts = body.get(section)
            for part in parts if isinstance(parts, list) else [parts]:
                if not isinstance(part, dict):
                    continue
                for field in fields:
                    if part.get(field):
                        part[field] = self.client.encrypt(str(part[field]))
        return body
