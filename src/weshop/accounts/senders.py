"""Where sign-in codes go. The default writes them to the log; a deployment plugs in its SMS."""

from __future__ import annotations

import importlib

from weshop.accounts.service import CodeSender, LogCodeSender


def build_code_sender(spec: str) -> CodeSender:
    """``'log'`` or ``'package.module:factory'`` (a callable returning a sender)."""
    if spec == "log":
        return LogCodeSender()
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise ValueError(f"WESHOP_OTP_SENDER must be 'log' or 'module:callable', not {spec!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory()
