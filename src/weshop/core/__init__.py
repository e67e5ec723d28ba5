"""Shared foundations: configuration, database, money, errors, crypto, outbox, worker."""
