"""The daily bills: the trade bill (交易账单) and the profit-sharing bill (分账账单). Ask for
the download URL, fetch the file, check its hash, read it.

Each file is CSV: a header, one line per record (a payment or refund; a split to one
receiver or a return) with every field prefixed by a backtick (so spreadsheets keep long
numbers intact), then a summary header and summary line. Amounts in the files are in yuan;
they are read back into integer fen.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from weshop.payments.wechatpay.client import WechatPayClient
from weshop.payments.wechatpay.errors import ResponseNotAuthentic

SUMMARY_FIRST_COLUMN = "总交易单数"
SHARING_SUMMARY_FIRST_COLUMN = "total_count"
# A profit-sharing bill line's business_type: a split to a receiver, the rest unfrozen to the
# paying merchant, a return from a receiver to the merchant.
SPLIT_LINE, UNFREEZE_LINE, RETURN_LINE = "SPLIT", "UNFREEZE", "RETURN"


@dataclass(frozen=True)
class BillFile:
    columns: list[str]
    rows: list[dict[str, str]]
    summary: dict[str, str]


def yuan_to_fen(text: str) -> int:
    """A bill's amount in yuan, to the fen exactly: one that is not a whole number of fen
    (``33.005``) is refused (ValueError), never rounded or cut."""
    fen = Decimal(text) * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"the amount {text!r} is not a whole number of fen")
    return int(fen)


def parse_trade_bill(text: str) -> BillFile:
    return parse_bill(text, SUMMARY_FIRST_COLUMN)


def parse_profit_sharing_bill(text: str) -> BillFile:
    return parse_bill(text, SHARING_SUMMARY_FIRST_COLUMN)


def parse_bill(text: str, summary_first_column: str) -> BillFile:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty bill")
    columns = lines[0].split(",")
    summary_at = next(
        (i for i, line in enumerate(lines) if line.startswith(summary_first_column)), None
    )
    if summary_at is None or summary_at + 1 >= len(lines):
        raise ValueError("the bill has no summary")
    rows = [_record(columns, line) for line in lines[1:summary_at]]
    summary = _record(lines[summary_at].split(","), lines[summary_at + 1])
    return BillFile(columns=columns, rows=rows, summary=summary)


def _record(columns: list[str], line: str) -> dict[str, str]:
    values = [value.removeprefix("`") for value in line.split(",")]
    if len(values) != len(columns):
        raise ValueError(f"a bill line has {len(values)} fields, the header {len(columns)}")
    return dict(zip(columns, values, strict=True))


class Bills:
    def __init__(self, client: WechatPayClient) -> None:
        self.client = client

    async def trade_bill(
        self,
        bill_date: date,
        *,
        sub_mchid: str | None = None,
        bill_type: str = "ALL",
        gzip_compressed: bool = False,
    ) -> BillFile:
        query = {"bill_date": bill_date.isoformat(), "bill_type": bill_type}
        content = await self._fetch("/v3/bill/tradebill", query, sub_mchid, gzip_compressed)
        return parse_trade_bill(content.decode("utf-8"))

    async def profit_sharing_bill(
        self, bill_date: date, *, sub_mchid: str | None = None, gzip_compressed: bool = False
    ) -> BillFile:
        """The day's splits and returns; a platform without ``sub_mchid`` gets those of all
        its sub-merchants."""
        query = {"bill_date": bill_date.isoformat()}
        content = await self._fetch("/v3/profitsharing/bills", query, sub_mchid, gzip_compressed)
        return parse_profit_sharing_bill(content.decode("utf-8"))

    async def _fetch(
        self, path: str, query: dict[str, str], sub_mchid: str | None, gzip_compressed: bool
    ) -> bytes:
        if sub_mchid:
            query["sub_mchid"] = sub_mchid
        if gzip_compressed:
            query["tar_type"] = "GZIP"
        answer = await self.client.request("GET", path, query=query)
        info = answer.data or {}
        content = await self.client.download(str(info["download_url"]))
        # The download answer is unsigned: its hash, from the signed answer, vouches for it.
        if info.get("hash_type") != "SHA1" or hashlib.sha1(content).hexdigest() != info.get(
            "hash_value"
        ):
            raise ResponseNotAuthentic("the bill file does not match its hash")
        return gzip.decompress(content) if gzip_compressed else content
