"""Server-rendered pages: the mobile storefront, the merchant console and the platform console.

``web/`` holds what the three share (templates base, static assets, translations, the cookie
session, CSRF, form errors, HTML error pages). The pages themselves live next to their
domain (``<domain>/web.py`` for the storefront, ``<domain>/console.py`` for the merchant
console, ``<domain>/platform_console.py`` for the platform console) and call the same
services as the API.
"""
