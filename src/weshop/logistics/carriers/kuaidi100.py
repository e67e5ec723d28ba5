"""Kuaidi100 (快递100): subscription to pushes, the push callback and the real-time query.

Written from Kuaidi100's public documentation:
- subscribe, 订阅接口 (https://api.kuaidi100.com/document/5f0ffa8f2977d50a94e1023c,
  mirrored at https://apifox.com/apidoc/project-514987/api-8567477): a form POST to
  ``https://poll.kuaidi100.com/poll`` with ``schema=json`` and ``param`` = JSON
  ``{company, number, key, parameters: {callbackurl, salt, resultv2}}``; the answer
  ``{"result": true, "returnCode": "200", "message": "提交成功"}``, ``501`` for a number already
  followed (重复订阅), ``600``/``601``/``700``/``701`` for a refused subscriber, key or company;
- push, 推送接口: a form POST to the callback with ``param`` (JSON: ``status``,
  ``lastResult`` = ``{state, ischeck, com, nu, data: [{time, ftime, context, areaName}]}``)
  and ``sign`` = MD5(param + salt), upper-case; answered
  ``{"result": true, "returnCode": "200", "message": "成功"}``
  (FAQ: https://segmentfault.com/a/1190000040496253);
- query, 实时快递查询接口 (https://api.kuaidi100.com/document/5f0ffb5ebc8da837cbd8aefc.html):
  a form POST to ``https://poll.kuaidi100.com/poll/query.do`` with ``customer``, ``param`` =
  JSON ``{com, num, resultv2}`` and ``sign`` = MD5(param + key + customer), upper-case; the
  answer as ``lastResult`` above, or ``{"result": false, "returnCode": "400", ...}``.
- state codes: 0 在途, 1 揽收, 2 疑难, 3 签收, 4 退签, 5 派件, 6 退回, 7 转投, 8 and 10–13
  清关, 14 拒签; with ``resultv2`` finer codes (101–103 揽收, 1001–1003 在途, 2xx 疑难,
  3xx 签收, 401 退签, 501 派件...), read by their group.

Times are China time (``yyyy-MM-dd HH:mm:ss``). Every call has a timeout; network errors and
5xx answers are retried a bounded number of times. Neither the key nor a signature is logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
import structlog

from weshop.core.clock import CHINA_TZ
from weshop.logistics.carriers.base import (
    CarrierError,
    ParcelState,
    Push,
    PushRejected,
    PushUnreadable,
    TrackingEvent,
    TrackingReport,
)

log = structlog.get_logger(__name__)

DEFAULT_BASE_URL = "https://poll.kuaidi100.com"
PUSH_ANSWER = {"result": True, "returnCode": "200", "message": "成功"}
ALREADY_SUBSCRIBED = "501"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

STATES = {
    0: ParcelState.IN_TRANSIT,
    1: ParcelState.COLLECTED,
    2: ParcelState.TROUBLE,
    3: ParcelState.DELIVERED,
    4: ParcelState.RETURNED,
    5: ParcelState.DELIVERING,
    6: ParcelState.RETURNING,
    7: ParcelState.IN_TRANSIT,
    8: ParcelState.CUSTOMS,
    10: ParcelState.CUSTOMS,
    11: ParcelState.CUSTOMS,
    12: ParcelState.CUSTOMS,
    13: ParcelState.CUSTOMS,
    14: ParcelState.REJECTED,
}


def state_of(code: Any) -> ParcelState:
    """A Kuaidi100 state code (or a finer ``resultv2`` one) as a parcel state."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        raise PushUnreadable(f"unreadable state {code!r}") from None
    if number in STATES:
        return STATES[number]
    if 1000 <= number < 1100:  # 1001 到达派件城市, 1002 干线, 1003 转递: still in transit
        return ParcelState.IN_TRANSIT
    if 100 <= number < 1000:  # 101–103 揽收, 2xx 疑难, 301 签收...: the group is the hundreds
        return STATES.get(number // 100, ParcelState.IN_TRANSIT)
    return ParcelState.IN_TRANSIT


def sign(text: str) -> str:
    """Kuaidi100's signature: MD5 of the text, upper-case hex."""
    return hashlib.md5(text.encode()).hexdigest().upper()


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def china_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA_TZ)


def report_of(result: Mapping[str, Any]) -> TrackingReport:
    """A ``lastResult`` (or a query's answer) as a report; events oldest first."""
    try:
        events = [
            TrackingEvent(
                at=china_time(str(item.get("ftime") or item["time"])),
                text=str(item["context"])[:500],
                area=str(item.get("areaName") or "")[:60],
            )
            for item in result.get("data") or []
        ]
        return TrackingReport(
            carrier=str(result["com"]),
            tracking_no=str(result["nu"]),
            state=state_of(result.get("state")),
            events=tuple(sorted(events, key=lambda event: event.at)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PushUnreadable(f"unreadable tracking: {type(exc).__name__}") from None


class Kuaidi100Tracker:
    """The Kuaidi100 adapter. ``salt`` signs the pushes of this installation's
    subscriptions."""

    name = "kuaidi100"

    def __init__(
        self,
        *,
        customer: str,
        key: str,
        salt: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        retry_delay_seconds: float = 0.5,
    ) -> None:
        self.customer = customer
        self._key = key
        self._salt = salt
        self.base_url = base_url.rstrip("/")
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay_seconds
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds))

    def __repr__(self) -> str:  # never the key or the salt, even in a traceback
        return f"Kuaidi100Tracker(customer={self.customer!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = await self._http.post(self.base_url + path, data=form)
            except httpx.HTTPError as exc:
                problem = f"{path}: {type(exc).__name__}"
            else:
                if response.status_code < 500:
                    try:
                        answer = response.json()
                    except ValueError:
                        raise CarrierError(f"{path}: answer is not JSON") from None
                    if not isinstance(answer, dict):
                        raise CarrierError(f"{path}: answer is not an object")
                    return answer
                problem = f"{path}: HTTP {response.status_code}"
            log.warning("kuaidi100_call_failed", problem=problem, attempt=attempt)
            if attempt < self._max_attempts:
                await asyncio.sleep(self._retry_delay * attempt)
        raise CarrierError(problem)

    async def subscribe(self, carrier: str, tracking_no: str, callback_url: str) -> None:
        param = {
            "company": carrier,
            "number": tracking_no,
            "key": self._key,
            "parameters": {"callbackurl": callback_url, "salt": self._salt, "resultv2": "1"},
        }
        answer = await self._post("/poll", {"schema": "json", "param": compact(param)})
        code = str(answer.get("returnCode", ""))
        if answer.get("result") is True or code == ALREADY_SUBSCRIBED:
            return
        raise CarrierError(f"subscription refused: {code} {str(answer.get('message'))[:80]}")

    async def query(self, carrier: str, tracking_no: str) -> TrackingReport:
        param = compact({"com": carrier, "num": tracking_no, "resultv2": "1"})
        form = {
            "customer": self.customer,
            "param": param,
            "sign": sign(param + self._key + self.customer),
        }
        answer = await self._post("/poll/query.do", form)
        if str(answer.get("status")) != "200":
            code = answer.get("returnCode", answer.get("status"))
            raise CarrierError(f"query refused: {code} {str(answer.get('message'))[:80]}")
        try:
            return report_of(answer)
        except PushUnreadable as exc:
            raise CarrierError(f"query answer unreadable: {exc}") from None

    def read_push(self, form: Mapping[str, str]) -> Push:
        param, signature = form.get("param"), form.get("sign")
        if not isinstance(param, str) or not isinstance(signature, str):
            raise PushUnreadable("a push carries the form fields param and sign")
        if not hmac.compare_digest(sign(param + self._salt).encode(), signature.upper().encode()):
            raise PushRejected("the push's signature does not verify")
        try:
            body = json.loads(param)
            result = body["lastResult"]
        except (ValueError, KeyError, TypeError):
            raise PushUnreadable("the push's param holds no lastResult") from None
        if not isinstance(result, dict):
            raise PushUnreadable("the push's lastResult is not an object")
        return Push(report=report_of(result), answer=PUSH_ANSWER)
