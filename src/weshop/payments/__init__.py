"""Payments: payment intents, provider callbacks, refunds; the built-in sandbox provider."""
