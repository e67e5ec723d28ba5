"""The Redis gate of the attempt path: one Lua script decides an attempt atomically.

Per item, four keys share a hash tag (one Redis Cluster slot):

- ``weshop:flash:{<item>}`` (hash): ``stock`` (units left), ``limit`` (per shopper),
  ``attempts`` (every attempt counted), ``v`` (moves on every accept, release and repair);
- ``...:u`` (hash): units per shopper;
- ``...:t`` (hash): every idempotency token (``<user>:<token>``) the gate accepted, with its
  units, or ``x`` once given back;
- ``...:p`` (sorted set): tokens accepted whose attempt the database has not confirmed yet,
  scored by the time of acceptance (milliseconds). A request removes its token once its
  transaction has committed; one that stays longer than the reconciler's grace died between
  the gate and the commit (a crash), and the reconciler gives its unit back.

The gate only filters: the database's conditional UPDATE (``sold + q <= flash_stock``) is the
last word, so a gate that says more is left than there is (after a flush, say) can never
oversell; it only lets a few attempts through to be refused by the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

_ATTEMPT = """
local stock = redis.call('HGET', KEYS[1], 'stock')
if not stock then return {'missing'} end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return {'repeat'} end
local q = tonumber(ARGV[3])
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if had + q > tonumber(redis.call('HGET', KEYS[1], 'limit')) then return {'limit_reached'} end
if tonumber(stock) < q then return {'sold_out'} end
redis.call('HINCRBY', KEYS[1], 'stock', -q)
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], q)
redis.call('HSET', KEYS[3], ARGV[2], q)
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
return {'accepted'}
"""

# ARGV: user, token key, give the stock back ('1'/'0'), forget the token ('1': the attempt
# never happened, the same token may try again; '0': remember it as given back).
_RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local v = redis.call('HGET', KEYS[3], ARGV[2])
if (not v) or v == 'x' then return 0 end
local q = tonumber(v)
if ARGV[4] == '1' then
  redis.call('HDEL', KEYS[3], ARGV[2])
else
  redis.call('HSET', KEYS[3], ARGV[2], 'x')
end
local left = redis.call('HINCRBY', KEYS[2], ARGV[1], -q)
if left <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], 'stock', q) end
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('ZREM', KEYS[4], ARGV[2])
return q
"""

# Replace an item's state with the one given, if its version is still ARGV[1] ('' when the
# item must be missing). ARGV: version, stock, limit, attempts, number of shoppers, then
# shopper/units pairs, number of tokens, token/value pairs, then pending token/score pairs.
_REPLACE = """
local v = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif v ~= ARGV[1] then
  return 0
end
local counted = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
local attempts = math.max(tonumber(ARGV[4]), counted)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'stock', ARGV[2], 'limit', ARGV[3], 'attempts', attempts,
           'v', (tonumber(v) or 0) + 1)
local i = 6
for _ = 1, tonumber(ARGV[5]) do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[i])
  i = i + 2
end
return 1
"""


def keys(item_id: int) -> list[str]:
    base = f"weshop:flash:{{{item_id}}}"
    return [base, f"{base}:u", f"{base}:t", f"{base}:p"]


def token_key(user_id: int, token: str) -> str:
    return f"{user_id}:{token}"


@dataclass(frozen=True)
class GateState:
    """What Redis holds for one item (``None``: nothing, e.g. after a flush)."""

    version: str
    stock: int
    limit: int
    attempts: int
    shoppers: dict[int, int]
    tokens: dict[str, str]
    pending: dict[str, float]


@dataclass(frozen=True)
class Wanted:
    """The state an item's keys should hold, computed from the database."""

    stock: int
    limit: int
    attempts: int
    shoppers: dict[int, int]
    tokens: dict[str, str]
    pending: dict[str, float]


class FlashGate:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._attempt = redis.register_script(_ATTEMPT)
        self._release = redis.register_script(_RELEASE)
        self._replace = redis.register_script(_REPLACE)

    async def attempt(
        self, item_id: int, user_id: int, token: str, quantity: int, now_ms: int
    ) -> str:
        """``accepted``, ``repeat`` (this token was seen), ``limit_reached``, ``sold_out``, or
        ``missing`` (the item is not loaded: load it and ask again)."""
        answer = await self._attempt(
            keys=keys(item_id), args=[user_id, token_key(user_id, token), quantity, now_ms]
        )
        verdict = answer[0]
        return verdict.decode() if isinstance(verdict, bytes) else str(verdict)

    async def release(
        self, item_id: int, user_id: int, token: str, *, give_stock: bool, forget: bool
    ) -> int:
        """Undo an accepted token once (later calls return 0): its shopper's units always,
        the stock when ``give_stock``; returns the units released."""
        released = await self._release(
            keys=keys(item_id),
            args=[user_id, token_key(user_id, token), int(give_stock), int(forget)],
        )
        return int(released)

    async def confirmed(self, item_id: int, user_id: int, token: str) -> None:
        """The attempt's transaction committed: it is no longer pending."""
        await self.redis.zrem(keys(item_id)[3], token_key(user_id, token))

    async def read(self, item_id: int) -> GateState | None:
        meta_key, users_key, tokens_key, pending_key = keys(item_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(meta_key)
            pipe.hgetall(users_key)
            pipe.hgetall(tokens_key)
            pipe.zrange(pending_key, 0, -1, withscores=True)
            meta, users, tokens, pending = await pipe.execute()
        if not meta or b"stock" not in meta:
            return None
        return GateState(
            version=meta.get(b"v", b"0").decode(),
            stock=int(meta[b"stock"]),
            limit=int(meta.get(b"limit", b"0")),
            attempts=int(meta.get(b"attempts", b"0")),
            shoppers={int(user): int(units) for user, units in users.items()},
            tokens={key.decode(): value.decode() for key, value in tokens.items()},
            pending={member.decode(): float(score) for member, score in pending},
        )

    async def replace(self, item_id: int, version: str | None, wanted: Wanted) -> bool:
        """Set the item's keys to ``wanted`` if nothing moved since ``version`` was read
        (``None``: if the item is still missing); False when something did."""
        args: list[object] = [
            version or "",
            wanted.stock,
            wanted.limit,
            wanted.attempts,
            len(wanted.shoppers),
        ]
        args += _pairs(wanted.shoppers.items())
        args.append(len(wanted.tokens))
        args += _pairs(wanted.tokens.items())
        args += _pairs(wanted.pending.items())
        return bool(await self._replace(keys=keys(item_id), args=args))

    async def drop(self, item_ids: Iterable[int]) -> None:
        names = [name for item_id in item_ids for name in keys(item_id)]
        if names:
            await self.redis.delete(*names)


def _pairs(pairs: Iterable[tuple[object, object]]) -> list[object]:
    return [value for pair in pairs for value in pair]


def gate_of(runtime: Any) -> FlashGate | None:
    """The process's gate, or None without Redis (the database alone decides)."""
    if getattr(runtime, "redis", None) is None:
        return None
    gate = runtime.components.get("flash_gate")
    if gate is None:
        gate = runtime.components["flash_gate"] = FlashGate(runtime.redis)
    return gate
