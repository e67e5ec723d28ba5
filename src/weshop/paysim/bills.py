"""The daily bills: ``GET /v3/bill/tradebill`` (trade) and ``GET /v3/profitsharing/bills``
(profit sharing) answer a download URL and the file's SHA1; ``GET /v3/billdownload/file``
(signed request, unsigned answer) gives the CSV.

A bill covers one Beijing day: payments that succeeded that day and refunds accepted that
day, each field prefixed by a backtick, then the summary section. Amounts are in yuan, the
fee (0.60%, rounded half up to the fen) with five decimals as WeChat Pay prints it. Today's
bill is not ready before tomorrow (STATEMENT_CREATING), a day without trade has none
(NO_STATEMENT_EXIST), and a download URL lives five minutes.

The profit-sharing bill lists, per Beijing day, every successful split line (one per
receiver, unfreezing to the paying merchant included) and every successful return; failed
ones are not listed. Its header is the field list WeChat Pay documents for the profit-sharing
bill file (create_time … description); amounts are in yuan with two decimals. Its download
URL lives 30 seconds. Not-ready and no-trade days answer as for the trade bill.
"""

from __future__ import annotations

import gzip
import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from weshop.payments.wechatpay.bills import RETURN_LINE, SPLIT_LINE, UNFREEZE_LINE
from weshop.payments.wechatpay.transactions import BEIJING
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, param_error
from weshop.paysim.refunds import scope_of
from weshop.paysim.security import Caller
from weshop.paysim.store import Row

COLUMNS = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY_COLUMNS = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
FEE_RATE_PER_MILLE = 6
FEE_RATE_TEXT = "0.60%"
DOWNLOAD_LIFETIME = timedelta(minutes=5)
BILL_TYPES = ("ALL", "SUCCESS", "REFUND")

SHARING_COLUMNS = (
    "create_time,initiator,sponsor,sub_mchid,transaction_id,order_id,out_order_no,detail_id,"
    "receiver_account,amount,currency,settlement_amount,settlement_currency,exchange_rate,"
    "business_type,status,description"
)
SHARING_SUMMARY_COLUMNS = "total_count,split_amount,return_amount"
SHARING_DOWNLOAD_LIFETIME = timedelta(seconds=30)


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def fee_fen(amount_fen: int) -> int:
    """WeChat Pay's fee on an amount, rounded half up to the fen."""
    return (amount_fen * FEE_RATE_PER_MILLE + 500) // 1000


def fee_text(fen: int) -> str:
    return yuan(fen) + "000"


def _text(value: str) -> str:
    # The file is comma-separated without quoting: keep free text on one field.
    return value.replace(",", "，").replace("\r", " ").replace("\n", " ")


def _clock_text(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class Billing:
    def __init__(self, sim: SimContext) -> None:
        self.sim = sim

    def _day_bounds(self, bill_date: date) -> tuple[float, float]:
        start = datetime(bill_date.year, bill_date.month, bill_date.day, tzinfo=BEIJING)
        return start.timestamp(), (start + timedelta(days=1)).timestamp()

    def render(self, mchid: str, sub_mchid: str | None, bill_date: date, bill_type: str) -> bytes:
        start, end = self._day_bounds(bill_date)
        scope = "t.mchid = ?" + (" AND t.sub_mchid = ?" if sub_mchid else "")
        params: list[Any] = [mchid, *([sub_mchid] if sub_mchid else [])]
        payments = self.sim.store.all(
            f"SELECT * FROM transactions t WHERE {scope} AND t.success_time >= ? "
            "AND t.success_time < ? ORDER BY t.success_time",
            (*params, start, end),
        )
        refunds = self.sim.store.all(
            "SELECT r.*, t.appid, t.sub_mchid AS t_sub_mchid, t.out_trade_no, t.payer_openid, "
            "t.trade_type, t.description, t.attach FROM refunds r "
            f"JOIN transactions t ON t.transaction_id = r.transaction_id WHERE {scope} "
            "AND r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at",
            (*params, start, end),
        )
        lines: list[list[str]] = []
        settled = fees = orders = refunded = 0
        if bill_type in ("ALL", "SUCCESS"):
            for payment in payments:
                fee = fee_fen(payment["total"])
                lines.append(self._payment_line(payment, fee))
                settled, fees, orders = (
                    settled + payment["total"],
                    fees + fee,
                    orders + payment["total"],
                )
        if bill_type in ("ALL", "REFUND"):
            for refund in refunds:
                fee = -fee_fen(refund["amount"])
                lines.append(self._refund_line(refund, fee))
                refunded, fees = refunded + refund["amount"], fees + fee
        if not lines:
            raise ApiError(400, "NO_STATEMENT_EXIST", "账单文件不存在，当日无交易")
        summary = [
            str(len(lines)),
            yuan(settled),
            yuan(refunded),
            "0.00",
            fee_text(fees),
            yuan(orders),
            yuan(refunded),
        ]
        text = "\r\n".join(
            [
                COLUMNS,
                *(",".join("`" + field for field in line) for line in lines),
                SUMMARY_COLUMNS,
                ",".join("`" + field for field in summary),
            ]
        )
        return (text + "\r\n").encode("utf-8")

    def _payment_line(self, payment: Row, fee: int) -> list[str]:
        total = yuan(payment["total"])
        return [
            _clock_text(payment["success_time"]), payment["appid"], payment["mchid"],
            payment["sub_mchid"] or "0", "", payment["transaction_id"], payment["out_trade_no"],
            payment["payer_openid"] or payment["payer_sub_openid"], payment["trade_type"],
            "SUCCESS", "OTHERS", "CNY", total, "0.00", "0", "0", "0.00", "0.00", "", "",
            _text(payment["description"]), _text(payment["attach"]), fee_text(fee),
            FEE_RATE_TEXT, total, "0.00", "",
        ]  # fmt: skip

    def _refund_line(self, refund: Row, fee: int) -> list[str]:
        amount = yuan(refund["amount"])
        return [
            _clock_text(refund["created_at"]), refund["appid"], refund["mchid"],
            refund["t_sub_mchid"] or "0", "", refund["transaction_id"], refund["out_trade_no"],
            refund["payer_openid"], refund["trade_type"], "REFUND", "OTHERS", "CNY", "0.00",
            "0.00", refund["refund_id"], refund["out_refund_no"], amount, "0.00", "ORIGINAL",
            refund["status"], _text(refund["description"]), _text(refund["attach"]),
            fee_text(fee), FEE_RATE_TEXT, "0.00", amount, "",
        ]  # fmt: skip

    def trade_bill(
        self,
        caller: Caller,
        bill_date_text: str,
        sub_mchid: str | None,
        bill_type: str,
        tar_type: str,
    ) -> dict[str, str]:
        bill_date = self._bill_date(bill_date_text)
        if bill_type not in BILL_TYPES:
            raise param_error(
                "bill_type", "须为ALL、SUCCESS或REFUND", value=bill_type, location="query"
            )
        self._check_request(caller, bill_date, bill_date_text, sub_mchid, tar_type)
        content = self.render(caller.mchid, sub_mchid, bill_date, bill_type)
        return self._offer(caller, content, tar_type, DOWNLOAD_LIFETIME)

    def profit_sharing_bill(
        self, caller: Caller, bill_date_text: str, sub_mchid: str | None, tar_type: str
    ) -> dict[str, str]:
        bill_date = self._bill_date(bill_date_text)
        self._check_request(caller, bill_date, bill_date_text, sub_mchid, tar_type)
        content = self.render_profit_sharing(caller.mchid, sub_mchid, bill_date)
        return self._offer(caller, content, tar_type, SHARING_DOWNLOAD_LIFETIME)

    def render_profit_sharing(self, mchid: str, sub_mchid: str | None, bill_date: date) -> bytes:
        start, end = self._day_bounds(bill_date)
        scope = "o.mchid = ?" + (" AND o.sub_mchid = ?" if sub_mchid else "")
        params: list[Any] = [mchid, *([sub_mchid] if sub_mchid else [])]
        splits = self.sim.store.all(
            "SELECT s.*, o.out_order_no, o.sub_mchid, o.transaction_id, o.kind FROM "
            "sharing_receivers s JOIN sharing_orders o ON o.order_id = s.order_id "
            f"WHERE {scope} AND s.created_at >= ? AND s.created_at < ? "
            "ORDER BY s.created_at, o.order_id, s.position",
            (*params, start, end),
        )
        returns = self.sim.store.all(
            "SELECT r.*, o.transaction_id FROM sharing_returns r JOIN sharing_orders o "
            f"ON o.order_id = r.order_id WHERE {scope} AND r.result = 'SUCCESS' "
            "AND r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at",
            (*params, start, end),
        )
        if not splits and not returns:
            raise ApiError(400, "NO_STATEMENT_EXIST", "账单文件不存在，当日无分账")
        lines: list[list[str]] = []
        split_total = return_total = 0
        for split in splits:
            # The line to the paying merchant itself is the rest unfrozen, not a share.
            to_payer = split["type"] == "MERCHANT_ID" and split["account"] == (
                split["sub_mchid"] or mchid
            )
            kind = UNFREEZE_LINE if split["kind"] == "UNFREEZE" or to_payer else SPLIT_LINE
            lines.append(
                self._sharing_line(
                    split, mchid, split["order_id"], split["out_order_no"], split["detail_id"],
                    split["account"], split["amount"], kind, split["description"],
                )
            )  # fmt: skip
            split_total += split["amount"]
        for returned in returns:
            lines.append(
                self._sharing_line(
                    returned, mchid, returned["return_id"], returned["out_return_no"], "",
                    returned["return_mchid"], returned["amount"], RETURN_LINE,
                    returned["description"],
                )
            )  # fmt: skip
            return_total += returned["amount"]
        summary = [str(len(lines)), yuan(split_total), yuan(return_total)]
        text = "\r\n".join(
            [
                SHARING_COLUMNS,
                *(",".join("`" + field for field in line) for line in lines),
                SHARING_SUMMARY_COLUMNS,
                ",".join("`" + field for field in summary),
            ]
        )
        return (text + "\r\n").encode("utf-8")

    def _sharing_line(
        self,
        row: Row,
        mchid: str,
        order_id: str,
        out_number: str,
        detail_id: str,
        account: str,
        amount_fen: int,
        business_type: str,
        description: str,
    ) -> list[str]:
        amount = yuan(amount_fen)
        return [
            _clock_text(row["created_at"]), mchid, row["sub_mchid"] or mchid,
            row["sub_mchid"] or "", row["transaction_id"], order_id, out_number, detail_id,
            account, amount, "CNY", amount, "CNY", "1", business_type, "SUCCESS",
            _text(description),
        ]  # fmt: skip

    def _bill_date(self, bill_date_text: str) -> date:
        try:
            return date.fromisoformat(bill_date_text)
        except ValueError as exc:
            raise param_error(
                "bill_date", "格式须为yyyy-MM-DD", value=bill_date_text, location="query"
            ) from exc

    def _check_request(
        self,
        caller: Caller,
        bill_date: date,
        bill_date_text: str,
        sub_mchid: str | None,
        tar_type: str,
    ) -> None:
        if tar_type not in ("", "GZIP"):
            raise param_error("tar_type", "须为GZIP", value=tar_type, location="query")
        if caller.role == "platform":
            if sub_mchid:
                scope_of(self.sim, caller, sub_mchid)
        elif sub_mchid:
            raise param_error("sub_mchid", "普通商户不能指定子商户", location="query")
        today = self.sim.now().astimezone(BEIJING).date()
        if bill_date > today:
            raise param_error(
                "bill_date", "账单日期超出可下载范围", value=bill_date_text, location="query"
            )
        if bill_date == today:
            raise ApiError(400, "STATEMENT_CREATING", "账单生成中，请在次日10点后再下载")

    def _offer(
        self, caller: Caller, content: bytes, tar_type: str, lifetime: timedelta
    ) -> dict[str, str]:
        """Keep the file for download; answer its URL and the SHA1 of the file as sent."""
        if tar_type == "GZIP":
            content = gzip.compress(content, mtime=0)
        token = self.sim.ids.token()
        with self.sim.store.transaction():
            self.sim.store.insert(
                "bill_downloads",
                {
                    "token": token,
                    "mchid": caller.mchid,
                    "content": content,
                    "expires_at": (self.sim.now() + lifetime).timestamp(),
                },
            )
        return {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(content).hexdigest(),
            "download_url": f"{self.sim.base_url}/v3/billdownload/file?token={token}",
        }

    def download(self, caller: Caller, token: str) -> bytes:
        found = self.sim.store.one(
            "SELECT * FROM bill_downloads WHERE token = ? AND mchid = ?", (token, caller.mchid)
        )
        if found is None or self.sim.now().timestamp() >= found["expires_at"]:
            raise ApiError(400, "INVALID_REQUEST", "下载链接已失效，请重新申请账单")
        return bytes(found["content"])
