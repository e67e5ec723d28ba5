"""Pricing core: pure functions from cart lines and context to an explained Quote."""
