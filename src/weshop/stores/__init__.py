"""Stores: merchant onboarding, settings, staff and their roles."""
