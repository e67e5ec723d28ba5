"""The built-in sandbox payment provider: a stand-in for a real one, for the demo and tests.

It plays the provider's side (its own database, a cashier page, signed callbacks with
retries) and WeShop talks to it only through the PaymentProvider interface and HTTP.
"""
