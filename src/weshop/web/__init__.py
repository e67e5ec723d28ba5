"""The toolkit of the server-rendered pages (the mobile storefront, the merchant console and
the platform console), built on ``core`` alone.

``web/`` holds what the three share: the Jinja2 environment and the shared templates (base,
error page, the layouts and macros of each part, the API's documentation pages), static
assets, translations, the session cookie, CSRF, form errors, HTML error pages and the
language switch. It knows no domain. The pages themselves live next to their domain
(``<domain>/web.py`` for the storefront, ``<domain>/console.py`` for the merchant console,
``<domain>/platform_console.py`` for the platform console), with their templates in
``<domain>/templates`` (see :mod:`weshop.web.templating`); they call the same services as the
API and are put on the app by :mod:`weshop.routes`. Who is signed in on a page is
:mod:`weshop.accounts.page_session`; staff access to a console page is
:mod:`weshop.stores.console_access`.
"""
