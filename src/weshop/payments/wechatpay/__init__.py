"""WeChat Pay APIv3: a signing, verifying client (direct and partner mode, refunds, profit
sharing, sub-merchant onboarding, bills) and WeShop's PaymentProvider over it.

Tested against ``weshop.paysim``, a local simulator of the same protocol.
"""
