"""E-commerce sub-merchant onboarding: ``POST /v3/ecommerce/applyments/`` and the queries.

Personal fields must arrive encrypted with the platform key (and ``Wechatpay-Serial`` must
name that key); the simulator decrypts them to check, and keeps none of them. The review
takes ``review_delay`` on the simulator's clock (0 makes it immediate): AUDITING for its first
two thirds, NEED_SIGN (with the ``sign_url`` of the agreement) for the last, FINISH after, when
the new sub-merchant (bound to the platform) is created and its ``sub_mchid`` answered. A short
name containing 驳回 is REJECTED instead, with the reason in ``audit_detail``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, no_auth, param_error
from weshop.paysim.security import Caller
from weshop.paysim.store import Row

# A short name with this word is rejected by the review (to exercise a rejection).
REJECTED_MARK = "驳回"
ORGANIZATION_TYPES = ("2401", "2500", "4", "2", "3", "2502", "1708")


class ContactInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    contact_type: str | None = None
    contact_name: str = Field(min_length=1)
    mobile_phone: str = Field(min_length=1)


class SalesSceneInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    store_name: str = Field(min_length=1, max_length=256)


class ApplymentIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    out_request_no: str = Field(min_length=1, max_length=124)
    organization_type: str
    need_account_info: bool
    contact_info: ContactInfo
    sales_scene_info: SalesSceneInfo
    merchant_shortname: str = Field(min_length=1, max_length=64)


class Onboarding:
    def __init__(self, sim: SimContext) -> None:
        self.sim = sim

    def submit(self, caller: Caller, form: ApplymentIn) -> dict[str, Any]:
        if caller.role != "platform":
            raise no_auth("仅电商平台可提交二级商户进件")
        if form.organization_type not in ORGANIZATION_TYPES:
            raise param_error("organization_type", "主体类型不合法", value=form.organization_type)
        if form.need_account_info and not form.model_extra.get("account_info"):
            raise param_error("account_info", "need_account_info为true时必填")
        digest = hashlib.sha256(
            f"{form.organization_type}|{form.merchant_shortname}".encode()
        ).hexdigest()
        store = self.sim.store
        with store.transaction():
            existing = self._by_out_request_no(caller, form.out_request_no)
            if existing is not None:
                if existing["request_digest"] != digest:
                    raise ApiError(400, "INVALID_REQUEST", "业务申请编号重复，且申请内容不一致")
                return {
                    "applyment_id": existing["applyment_id"],
                    "out_request_no": existing["out_request_no"],
                }
            applyment_id = self.sim.ids.applyment_id()
            store.insert(
                "applyments",
                {
                    "applyment_id": applyment_id,
                    "out_request_no": form.out_request_no,
                    "sp_mchid": caller.mchid,
                    "merchant_shortname": form.merchant_shortname,
                    "request_digest": digest,
                    "submitted_at": self.sim.now().timestamp(),
                },
            )
        return {"applyment_id": applyment_id, "out_request_no": form.out_request_no}

    def _by_out_request_no(self, caller: Caller, out_request_no: str) -> Row | None:
        return self.sim.store.one(
            "SELECT * FROM applyments WHERE sp_mchid = ? AND out_request_no = ?",
            (caller.mchid, out_request_no),
        )

    def query(
        self, caller: Caller, *, out_request_no: str = "", applyment_id: int = 0
    ) -> dict[str, Any]:
        if caller.role != "platform":
            raise no_auth("仅电商平台可查询二级商户进件")
        if out_request_no:
            applyment = self._by_out_request_no(caller, out_request_no)
        else:
            applyment = self.sim.store.one(
                "SELECT * FROM applyments WHERE sp_mchid = ? AND applyment_id = ?",
                (caller.mchid, applyment_id),
            )
        if applyment is None:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "申请单不存在")
        data: dict[str, Any] = {
            "applyment_id": applyment["applyment_id"],
            "out_request_no": applyment["out_request_no"],
            "audit_detail": [],
        }
        elapsed = self.sim.now().timestamp() - applyment["submitted_at"]
        delay = self.sim.review_delay.total_seconds()
        if REJECTED_MARK in applyment["merchant_shortname"] and elapsed >= delay:
            data.update(
                applyment_state="REJECTED",
                applyment_state_desc="已驳回",
                audit_detail=[
                    {
                        "param_name": "merchant_shortname",
                        "reject_reason": "商户简称与营业执照主体不符，请修改后重新提交",
                    }
                ],
            )
            return data
        applyment = self._reviewed(applyment)
        if applyment["sub_mchid"]:
            data.update(
                applyment_state="FINISH",
                applyment_state_desc="完成",
                sub_mchid=applyment["sub_mchid"],
            )
        elif elapsed >= delay * 2 / 3:
            # The review passed; the applicant's legal person must sign the agreement.
            data.update(
                applyment_state="NEED_SIGN",
                applyment_state_desc="待签约",
                sign_url=f"https://pay.weixin.qq.com/public/apply4ec_sign/s?applymentId="
                f"{applyment['applyment_id']}",
            )
        else:
            data.update(applyment_state="AUDITING", applyment_state_desc="审核中")
        return data

    def _reviewed(self, applyment: Row) -> Row:
        """Past the review delay the application is approved: a sub-merchant is born."""
        due = applyment["submitted_at"] + self.sim.review_delay.total_seconds()
        if (
            applyment["sub_mchid"]
            or self.sim.now().timestamp() < due
            or REJECTED_MARK in applyment["merchant_shortname"]
        ):
            return applyment
        store = self.sim.store
        with store.transaction():
            sub_mchid = self.sim.ids.sub_mchid()
            store.insert(
                "merchants",
                {
                    "mchid": sub_mchid,
                    "role": "sub",
                    "parent_mchid": applyment["sp_mchid"],
                    "name": applyment["merchant_shortname"],
                },
            )
            store.run(
                "UPDATE applyments SET sub_mchid = ? WHERE applyment_id = ?",
                (sub_mchid, applyment["applyment_id"]),
            )
            reviewed = store.one(
                "SELECT * FROM applyments WHERE applyment_id = ?", (applyment["applyment_id"],)
            )
        assert reviewed is not None
        return reviewed
