"""The double-entry ledger: every fen of an order's money, where it sits and why it moved."""
