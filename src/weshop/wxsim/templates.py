"""The template catalogue of each app and WeChat's keyword rules.

Every mini-program has the subscription templates below (sent by ``subscribeMessage.send``);
the official account has them too (sent by ``subscribe/bizsend``) and the staff templates
(template messages, ``template/send``). Ids are shaped like WeChat's (43 characters) and
derived from the seed, so they are stable across restarts. Apps of one kind share their ids
(on WeChat each account has its own): WeShop configures template ids per app kind.

Keyword rules (WeChat's "参数值内容限制"): thing ≤20 characters; character_string ≤32 digits,
letters or symbols; number digits (a decimal point allowed) ≤32; amount a currency sign and
≤10 digits with decimals, "元" allowed at the end; time a 24-hour time with an optional date
before it; date a date with an optional time; phrase ≤5 Chinese characters; letter ≤32
letters; symbol ≤5 symbols; phone_number ≤17 digits and symbols.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from weshop.wxsim.apps import WxApp, derived
from weshop.wxsim.errors import WxError

Channel = Literal["subscribe", "staff"]


@dataclass(frozen=True)
class Template:
    template_id: str
    appid: str
    event: str
    channel: Channel
    title: str
    keywords: tuple[tuple[str, str], ...]  # (key like "thing3", its label)


SUBSCRIPTION_TEMPLATES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "order_paid": (
        "订单支付成功通知",
        (
            ("character_string1", "订单编号"),
            ("amount2", "支付金额"),
            ("thing3", "商品名称"),
            ("time4", "支付时间"),
        ),
    ),
    "order_shipped": (
        "订单发货通知",
        (
            ("character_string1", "订单编号"),
            ("thing2", "商品名称"),
            ("thing3", "快递公司"),
            ("character_string4", "快递单号"),
        ),
    ),
    "order_delivered": (
        "订单签收通知",
        (("character_string1", "订单编号"), ("thing2", "商品名称"), ("time3", "签收时间")),
    ),
    "refund_succeeded": (
        "退款成功通知",
        (("character_string1", "订单编号"), ("amount2", "退款金额"), ("time3", "退款时间")),
    ),
    "group_completed": (
        "拼团成功通知",
        (("thing1", "商品名称"), ("number2", "成团人数"), ("amount3", "拼团价")),
    ),
    "group_failed": (
        "拼团失败通知",
        (("thing1", "商品名称"), ("thing2", "失败原因"), ("amount3", "退款金额")),
    ),
    "bargain_floor_reached": (
        "砍价成功通知",
        (("thing1", "商品名称"), ("amount2", "底价"), ("thing3", "温馨提示")),
    ),
}
STAFF_TEMPLATES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "new_order": (
        "新订单通知",
        (
            ("character_string1", "订单编号"),
            ("amount2", "订单金额"),
            ("thing3", "商品名称"),
            ("time4", "下单时间"),
        ),
    ),
    "aftersales_requested": (
        "售后申请通知",
        (
            ("character_string1", "订单编号"),
            ("thing2", "售后类型"),
            ("amount3", "申请金额"),
            ("time4", "申请时间"),
        ),
    ),
    "low_stock": (
        "库存不足提醒",
        (("thing1", "商品名称"), ("thing2", "规格"), ("number3", "剩余库存")),
    ),
}


def catalogue(app: WxApp, seed: str) -> list[Template]:
    """The templates an app has in its account, subscription ones first."""

    def made(event: str, channel: Channel, title: str, keywords) -> Template:
        template_id = derived(seed, f"template:{app.kind}:{channel}:{event}", 43)
        return Template(template_id, app.appid, event, channel, title, keywords)

    found = [made(event, "subscribe", *spec) for event, spec in SUBSCRIPTION_TEMPLATES.items()]
    if app.kind == "official":
        found += [made(event, "staff", *spec) for event, spec in STAFF_TEMPLATES.items()]
    return found


_DATE = r"\d{4}(?:年\d{1,2}月\d{1,2}日|[-/.]\d{1,2}[-/.]\d{1,2})"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_MOMENT_TIME = rf"(?:{_DATE}\s*)?{_TIME}"
_MOMENT_DATE = rf"{_DATE}(?:\s*{_TIME})?"
RULES: dict[str, re.Pattern[str]] = {
    "thing": re.compile(r"[^\n]{1,20}"),
    "character_string": re.compile(r"[\x21-\x7e]{1,32}"),
    "number": re.compile(r"(?=.{1,32}$)\d+(?:\.\d+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "symbol": re.compile(r"[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]{1,5}"),
    "amount": re.compile(r"[¥￥$€£]?\d{1,10}(?:\.\d{1,2})?元?"),
    "time": re.compile(rf"{_MOMENT_TIME}(?:\s*~\s*{_MOMENT_TIME})?"),
    "date": re.compile(rf"{_MOMENT_DATE}(?:\s*~\s*{_MOMENT_DATE})?"),
    "phrase": re.compile(r"[\u4e00-\u9fff]{1,5}"),
    "phone_number": re.compile(r"[\d+\-() ]{1,17}"),
}


def keyword_type(key: str) -> str:
    return key.rstrip("0123456789")


def filled(template: Template, data: Any) -> list[tuple[str, str]]:
    """The (label, value) of each keyword from a message's ``data``, or 47003 naming the first
    keyword missing or breaking its rule, as WeChat's hint does."""
    if not isinstance(data, Mapping):
        raise WxError(47003, "data invalid")
    values = []
    for key, label in template.keywords:
        entry = data.get(key)
        value = entry.get("value") if isinstance(entry, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            raise WxError(47003, f"data.{key}.value is empty")
        text = str(value)
        if not RULES[keyword_type(key)].fullmatch(text):
            raise WxError(47003, f"data.{key}.value invalid")
        values.append((label, text))
    return values
