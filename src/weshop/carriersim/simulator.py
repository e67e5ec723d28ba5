"""The simulated carrier network: parcels subscribed to, moved along on a clock, pushed.

Each subscribed parcel goes 揽收 → 运输中 → 派送中 → 已签收, one stage every ``pace`` from its
subscription. :meth:`CarrierSim.push_due` sends each parcel's full tracking, signed
(MD5(param + salt), upper-case), to its callback URL whenever it reached a stage not yet
acknowledged; an answer other than ``{"result": true, ...}`` is sent again on the next round.
Tests move the clock with :meth:`CarrierSim.advance` and call ``push_due`` themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from weshop.core.clock import CHINA_TZ, utcnow

log = structlog.get_logger(__name__)

# (Kuaidi100 state code, state name, what the carrier writes) per stage.
STAGES = (
    ("1", "揽收", "【{city}】快件已由快递员揽收"),
    ("0", "在途", "快件已到达【{city}转运中心】,正发往下一站"),
    ("5", "派件", "快件已到达目的地网点,快递员正在派送"),
    ("3", "签收", "快件已签收,签收人:本人,感谢使用"),
)
CITY = "杭州市"


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def answer(ok: bool, code: str, message: str) -> dict[str, Any]:
    return {"result": ok, "returnCode": code, "message": message}


@dataclass
class Subscription:
    company: str
    number: str
    callback_url: str
    salt: str
    subscribed_at: datetime
    # Stages whose push the callback acknowledged.
    acknowledged: int = 0


class CarrierSim:
    def __init__(
        self,
        *,
        customer: str,
        key: str,
        pace: timedelta,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.customer = customer
        self.key = key
        self.pace = pace
        self._clock = clock
        self._offset = timedelta()
        self._transport = transport
        self.subscriptions: dict[tuple[str, str], Subscription] = {}

    def now(self) -> datetime:
        return self._clock() + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the simulator's clock on (tests)."""
        self._offset += delta

    def subscribe(self, form: Mapping[str, str]) -> dict[str, Any]:
        """``POST /poll``: schema=json, param={company, number, key, parameters}."""
        try:
            param = json.loads(form.get("param", ""))
            company, number = str(param["company"]), str(param["number"])
            parameters = param["parameters"]
            callback_url = str(parameters["callbackurl"])
        except (ValueError, KeyError, TypeError):
            return answer(False, "700", "订阅方的订阅数据存在错误")
        if param.get("key") != self.key:
            return answer(False, "600", "您不是合法的订阅者")
        if not company or not number or not callback_url.startswith(("http://", "https://")):
            return answer(False, "700", "订阅方的订阅数据存在错误")
        if (company, number) in self.subscriptions:
            return answer(False, "501", "重复订阅")
        self.subscriptions[(company, number)] = Subscription(
            company,
            number,
            callback_url,
            str(parameters.get("salt") or ""),
            self.now().replace(microsecond=0),
        )
        return answer(True, "200", "提交成功")

    def query(self, form: Mapping[str, str]) -> dict[str, Any]:
        """``POST /poll/query.do``: customer, param={com, num}, sign=MD5(param+key+customer)."""
        param_text = form.get("param", "")
        if form.get("customer") != self.customer or form.get("sign") != md5_upper(
            param_text + self.key + self.customer
        ):
            return answer(False, "601", "验证签名失败")
        try:
            param = json.loads(param_text)
            found = self.subscriptions.get((str(param["com"]), str(param["num"])))
        except (ValueError, KeyError, TypeError):
            return answer(False, "400", "找不到对应公司")
        if found is None:
            return answer(False, "500", "查询无结果,请隔段时间再查")
        return self.last_result(found)

    def stage(self, subscription: Subscription) -> int:
        """How many stages the parcel has reached (the first on subscription)."""
        elapsed = self.now() - subscription.subscribed_at
        return min(int(elapsed / self.pace) + 1, len(STAGES))

    def last_result(self, subscription: Subscription) -> dict[str, Any]:
        reached = self.stage(subscription)
        data = []
        for index in reversed(range(reached)):
            _state, name, text = STAGES[index]
            at = (subscription.subscribed_at + index * self.pace).astimezone(CHINA_TZ)
            moment = at.strftime("%Y-%m-%d %H:%M:%S")
            data.append(
                {
                    "time": moment,
                    "ftime": moment,
                    "context": text.format(city=CITY),
                    "areaName": CITY,
                    "status": name,
                }
            )
        state = STAGES[reached - 1][0]
        return {
            "message": "ok",
            "nu": subscription.number,
            "ischeck": "1" if state == "3" else "0",
            "com": subscription.company,
            "status": "200",
            "state": state,
            "data": data,
        }

    def push_form(self, subscription: Subscription) -> dict[str, str]:
        result = self.last_result(subscription)
        done = result["state"] == "3"
        param = compact(
            {
                "status": "shutdown" if done else "polling",
                "billstatus": "check" if done else "got",
                "message": "",
                "lastResult": result,
            }
        )
        return {"param": param, "sign": md5_upper(param + subscription.salt)}

    async def push_due(self) -> int:
        """Push every parcel that reached a stage not yet acknowledged; how many were
        acknowledged."""
        acknowledged = 0
        async with httpx.AsyncClient(transport=self._transport, timeout=10) as http:
            for subscription in list(self.subscriptions.values()):
                reached = self.stage(subscription)
                if reached <= subscription.acknowledged:
                    continue
                try:
                    response = await http.post(
                        subscription.callback_url, data=self.push_form(subscription)
                    )
                    ok = response.status_code == 200 and response.json().get("result") is True
                except (httpx.HTTPError, ValueError, AttributeError):
                    ok = False
                if ok:
                    subscription.acknowledged = reached
                    acknowledged += 1
                else:
                    log.info("carriersim_push_refused", number=subscription.number)
        return acknowledged

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Push on a clock until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.push_due()
            except Exception:  # a broken round must not end the loop
                log.exception("carriersim_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_seconds)
