"""Passwords, opaque session tokens and message signatures.

Password hashing (scrypt, tens of milliseconds of CPU) runs in a small pool of threads, never
on the event loop: hashlib releases the GIL while it works, and the pool leaves a core to the
event loop, so the server keeps answering while sign-ins hash.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_SALT_BYTES = 16
_HASHING = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="password-hash"
)
# A well-formed hash of no one's password: checking a password against it costs what checking a
# real one costs, so an unknown phone number answers as slowly as a registered one.
_NOBODY = "scrypt$" + base64.b64encode(bytes(_SALT_BYTES + _SCRYPT["dklen"])).decode()


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)


async def _scrypt_off_loop(password: str, salt: bytes) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, _scrypt, password, salt)


async def hash_password(password: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = await _scrypt_off_loop(password, salt)
    return "scrypt$" + base64.b64encode(salt + digest).decode()


async def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; a missing or malformed hash does the same work
    as a real one and answers False."""
    real = stored if stored is not None and stored.startswith("scrypt$") else None
    raw = base64.b64decode((real or _NOBODY).removeprefix("scrypt$"))
    salt, expected = raw[:_SALT_BYTES], raw[_SALT_BYTES:]
    actual = await _scrypt_off_loop(password, salt)
    return real is not None and hmac.compare_digest(actual, expected)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored only as their hash, so a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def hmac_sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def hmac_verify(key: bytes, message: str, signature: str) -> bool:
    return hmac.compare_digest(hmac_sign(key, message), signature)
