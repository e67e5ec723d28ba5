"""Accounts: users, sign-in by phone code or password, sessions, address book."""
