"""The simulator's state: one small SQLite file (stdlib ``sqlite3``), or memory for tests.

The simulator runs in one event loop and every operation on the store is synchronous, so
operations never interleave; ``transaction()`` makes each one all-or-nothing on disk, and a
restarted ``weshop paysim`` finds its orders, balances and pending callbacks again.
Times are stored as POSIX seconds (REAL), money as integer fen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS merchants (
    mchid TEXT PRIMARY KEY,
    role TEXT NOT NULL,                 -- direct | platform | sub
    parent_mchid TEXT NOT NULL DEFAULT '',
    appid TEXT NOT NULL DEFAULT '',
    serial_no TEXT NOT NULL DEFAULT '',
    public_key_pem TEXT NOT NULL DEFAULT '',
    apiv3_key TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    -- The most profit sharing may take from one of its transactions, in basis points
    -- (万分比): set by the sub-merchant when it authorises the platform, 30% by default.
    max_split_ratio INTEGER NOT NULL DEFAULT 3000 CHECK (max_split_ratio BETWEEN 1 AND 10000)
);
CREATE TABLE IF NOT EXISTS appids (
    -- An app (official account, mini-program) bound to a merchant besides its own appid
    -- (AppID账号关联): orders may be placed, and payers pay, under it.
    mchid TEXT NOT NULL REFERENCES merchants (mchid),
    appid TEXT NOT NULL,
    PRIMARY KEY (mchid, appid)
);
CREATE TABLE IF NOT EXISTS accounts (
    owner TEXT PRIMARY KEY,             -- mch:<mchid> | openid:<openid> | sub_openid:<openid>
    available INTEGER NOT NULL DEFAULT 0 CHECK (available >= 0),
    frozen INTEGER NOT NULL DEFAULT 0 CHECK (frozen >= 0)
);
CREATE TABLE IF NOT EXISTS transactions (
    transaction_id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL,                -- the direct merchant, or the platform (sp_mchid)
    sub_mchid TEXT NOT NULL DEFAULT '',
    appid TEXT NOT NULL,                -- appid, or sp_appid
    sub_appid TEXT NOT NULL DEFAULT '',
    out_trade_no TEXT NOT NULL,
    trade_type TEXT NOT NULL,           -- JSAPI | MWEB | NATIVE
    description TEXT NOT NULL,
    attach TEXT NOT NULL DEFAULT '',
    notify_url TEXT NOT NULL,
    total INTEGER NOT NULL CHECK (total > 0),
    currency TEXT NOT NULL,
    profit_sharing INTEGER NOT NULL,
    payer_openid TEXT NOT NULL DEFAULT '',
    payer_sub_openid TEXT NOT NULL DEFAULT '',
    payer_client_ip TEXT NOT NULL DEFAULT '',
    request_digest TEXT NOT NULL,
    state TEXT NOT NULL,                -- NOTPAY | SUCCESS | REFUND | CLOSED
    prepay_id TEXT NOT NULL UNIQUE,
    prepay_expires_at REAL NOT NULL,
    code_token TEXT NOT NULL UNIQUE,
    time_expire REAL NOT NULL,
    created_at REAL NOT NULL,
    success_time REAL,
    unsplit INTEGER NOT NULL DEFAULT 0 CHECK (unsplit >= 0),
    refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= total),
    sharing_finished INTEGER NOT NULL DEFAULT 0,
    UNIQUE (mchid, sub_mchid, out_trade_no)
);
CREATE TABLE IF NOT EXISTS combine_orders (
    -- A combined payment (合单支付): one payment by the payer of several sub-orders, each an
    -- ordinary transaction of its own sub-merchant (combine_sub_orders), paid or closed
    -- together.
    combine_mchid TEXT NOT NULL,
    combine_out_trade_no TEXT NOT NULL,
    combine_appid TEXT NOT NULL,
    trade_type TEXT NOT NULL,           -- JSAPI | MWEB | NATIVE
    notify_url TEXT NOT NULL,
    payer_openid TEXT NOT NULL DEFAULT '',
    payer_client_ip TEXT NOT NULL DEFAULT '',
    device_id TEXT NOT NULL DEFAULT '',
    request_digest TEXT NOT NULL,
    prepay_id TEXT NOT NULL UNIQUE,
    prepay_expires_at REAL NOT NULL,
    code_token TEXT NOT NULL UNIQUE,
    time_expire REAL NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (combine_mchid, combine_out_trade_no)
);
CREATE TABLE IF NOT EXISTS combine_sub_orders (
    combine_mchid TEXT NOT NULL,
    combine_out_trade_no TEXT NOT NULL,
    position INTEGER NOT NULL,
    transaction_id TEXT NOT NULL UNIQUE REFERENCES transactions (transaction_id),
    PRIMARY KEY (combine_mchid, combine_out_trade_no, position),
    FOREIGN KEY (combine_mchid, combine_out_trade_no)
        REFERENCES combine_orders (combine_mchid, combine_out_trade_no)
);
CREATE TABLE IF NOT EXISTS refunds (
    refund_id TEXT PRIMARY KEY,
    out_refund_no TEXT NOT NULL,
    mchid TEXT NOT NULL,
    sub_mchid TEXT NOT NULL DEFAULT '',
    transaction_id TEXT NOT NULL REFERENCES transactions (transaction_id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL DEFAULT '',
    notify_url TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,               -- PROCESSING | SUCCESS
    created_at REAL NOT NULL,
    success_time REAL,
    UNIQUE (mchid, sub_mchid, out_refund_no)
);
CREATE TABLE IF NOT EXISTS receivers (
    mchid TEXT NOT NULL,
    sub_mchid TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    account TEXT NOT NULL,
    relation_type TEXT NOT NULL,
    custom_relation TEXT NOT NULL DEFAULT '',
    appid TEXT NOT NULL DEFAULT '',     -- a personal receiver's openid is of this appid
    PRIMARY KEY (mchid, sub_mchid, type, account)
);
CREATE TABLE IF NOT EXISTS sharing_orders (
    order_id TEXT PRIMARY KEY,
    out_order_no TEXT NOT NULL,
    mchid TEXT NOT NULL,
    sub_mchid TEXT NOT NULL DEFAULT '',
    transaction_id TEXT NOT NULL REFERENCES transactions (transaction_id),
    kind TEXT NOT NULL,                 -- SPLIT | UNFREEZE
    request_digest TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (mchid, sub_mchid, out_order_no)
);
CREATE TABLE IF NOT EXISTS sharing_receivers (
    detail_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES sharing_orders (order_id),
    position INTEGER NOT NULL,
    type TEXT NOT NULL,
    account TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    description TEXT NOT NULL,
    returned INTEGER NOT NULL DEFAULT 0 CHECK (returned >= 0 AND returned <= amount),
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sharing_returns (
    return_id TEXT PRIMARY KEY,
    out_return_no TEXT NOT NULL,
    mchid TEXT NOT NULL,
    sub_mchid TEXT NOT NULL DEFAULT '',
    order_id TEXT NOT NULL REFERENCES sharing_orders (order_id),
    return_mchid TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    description TEXT NOT NULL,
    result TEXT NOT NULL,               -- SUCCESS | FAILED
    fail_reason TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    UNIQUE (mchid, sub_mchid, out_return_no)
);
CREATE TABLE IF NOT EXISTS subsidies (
    subsidy_id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL,                -- the platform
    sub_mchid TEXT NOT NULL,
    transaction_id TEXT NOT NULL UNIQUE REFERENCES transactions (transaction_id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    returned INTEGER NOT NULL DEFAULT 0 CHECK (returned >= 0 AND returned <= amount),
    description TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS subsidy_returns (
    subsidy_refund_id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL,
    sub_mchid TEXT NOT NULL,
    out_order_no TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    description TEXT NOT NULL,
    result TEXT NOT NULL,               -- SUCCESS | FAIL
    created_at REAL NOT NULL,
    UNIQUE (mchid, sub_mchid, out_order_no)
);
CREATE TABLE IF NOT EXISTS applyments (
    applyment_id INTEGER PRIMARY KEY,
    out_request_no TEXT NOT NULL,
    sp_mchid TEXT NOT NULL,
    merchant_shortname TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    sub_mchid TEXT NOT NULL DEFAULT '',
    UNIQUE (sp_mchid, out_request_no)
);
CREATE TABLE IF NOT EXISTS media (
    media_id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    uploaded_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notifications (
    id TEXT PRIMARY KEY,
    mchid TEXT NOT NULL,
    url TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,               -- NULL once acknowledged or given up
    acknowledged_at REAL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_at);
CREATE TABLE IF NOT EXISTS notification_attempts (
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    attempted_at REAL NOT NULL,
    status INTEGER NOT NULL             -- HTTP status, 0 when nothing answered
);
CREATE TABLE IF NOT EXISTS bill_downloads (
    token TEXT PRIMARY KEY,
    mchid TEXT NOT NULL,
    content BLOB NOT NULL,
    expires_at REAL NOT NULL
);
"""

Row = sqlite3.Row


class Store:
    def __init__(self, path: str | Path = ":memory:") -> None:
        location = str(path)
        if location != ":memory:":
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transaction() opens and ends each transaction explicitly.
        self._conn = sqlite3.connect(location, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if location != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)
        self._add_missing_columns()
        self._depth = 0

    def _add_missing_columns(self) -> None:
        # A state file written before the split ratio existed keeps its merchants, at 30%.
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(merchants)")}
        if "max_split_ratio" not in columns:
            self._conn.execute(
                "ALTER TABLE merchants ADD COLUMN max_split_ratio INTEGER NOT NULL DEFAULT 3000"
            )

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing; nested calls join the outermost transaction."""
        outermost = self._depth == 0
        if outermost:
            self._conn.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if outermost:
                self._conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if outermost:
            self._conn.execute("COMMIT")

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._conn.execute(sql, params).fetchall())

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a write; returns the number of rows it changed."""
        return self._conn.execute(sql, params).rowcount

    def insert(self, table: str, values: dict[str, Any]) -> None:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self._conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())
        )

    def close(self) -> None:
        self._conn.close()
