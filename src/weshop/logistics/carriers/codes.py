"""The carriers a store ships with: their codes (Kuaidi100's company codes, which the
simulator speaks too) and their names in Chinese, as the store picks them.

A shipment records what the store typed or picked; :func:`carrier_code` reads that back as a
code when it names a known carrier (the code itself, its name or a usual short name), so a
parcel can be tracked. Company codes: Kuaidi100's code table
(https://api.kuaidi100.com/manager/openapi/download/kdbm.do).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    aliases: tuple[str, ...] = ()


CARRIERS: tuple[Carrier, ...] = (
    Carrier("shunfeng", "顺丰速运", ("顺丰", "SF")),
    Carrier("zhongtong", "中通快递", ("中通", "ZTO")),
    Carrier("yuantong", "圆通速递", ("圆通", "YTO")),
    Carrier("yunda", "韵达快递", ("韵达",)),
    Carrier("shentong", "申通快递", ("申通", "STO")),
    Carrier("ems", "EMS", ("邮政EMS", "中国邮政EMS")),
    Carrier("youzhengguonei", "邮政快递包裹", ("邮政", "中国邮政")),
    Carrier("jd", "京东物流", ("京东", "京东快递")),
    Carrier("jtexpress", "极兔速递", ("极兔", "J&T")),
    Carrier("debangkuaidi", "德邦快递", ("德邦",)),
    Carrier("huitongkuaidi", "百世快递", ("百世", "百世汇通")),
    Carrier("danniao", "丹鸟", ()),
)
BY_CODE = {carrier.code: carrier for carrier in CARRIERS}
_BY_NAME = {
    name.casefold(): carrier
    for carrier in CARRIERS
    for name in (carrier.code, carrier.name, *carrier.aliases)
}


def carrier_code(text: str) -> str | None:
    """The code of the carrier ``text`` names (code, name or short name), None if unknown."""
    carrier = _BY_NAME.get(text.strip().casefold())
    return carrier.code if carrier else None


def carrier_name(code: str) -> str:
    """The carrier's Chinese name; an unknown code as it is."""
    carrier = BY_CODE.get(code)
    return carrier.name if carrier else code
