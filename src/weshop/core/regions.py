"""The 34 provincial-level divisions of China, by their full official names.

Addresses and shipping rules both use exactly these names, so a rule always meets the
address it is meant for: a typo ("浙江" for "浙江省") would otherwise silently fall to the
default shipping rule, or slip past a province a store does not deliver to.
"""

from __future__ import annotations

PROVINCES: tuple[str, ...] = (
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "台湾省",
    "香港特别行政区",
    "澳门特别行政区",
)

PROVINCE_SET: frozenset[str] = frozenset(PROVINCES)


def check_province(name: str) -> str:
    """A province as addresses store it; refuses anything but a full official name."""
    if name not in PROVINCE_SET:
        raise ValueError("not a province of China by its full name, e.g. 浙江省, 北京市")
    return name
