"""Orders: checkout, the order state machine, shipping and receipt."""
