"""Finding templates: every name a page or a template asks for exists, and every template file
has exactly one name (a domain's under its prefix, the shared ones in ``web/templates`` with
none)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from jinja2 import FileSystemLoader, meta

from weshop.web.templating import TEMPLATES_DIR, domain_template_dirs, environment

SRC = Path(__file__).resolve().parents[2] / "src" / "weshop"
TEMPLATE_NAME = re.compile(r"^[a-z0-9_/]+\.html$")


def _template_files() -> list[Path]:
    return sorted(path for path in SRC.rglob("*.html") if "templates" in path.parts)


def _names_in_python() -> set[str]:
    """Template names written in the code (``render(request, "orders/shop/order.html")``, a
    layout handed to a template)."""
    return {
        node.value
        for path in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and TEMPLATE_NAME.match(node.value)
    }


def _names_in_templates() -> set[str]:
    """What the templates extend, include and import, and the layouts they fall back to."""
    names: set[str] = set()
    for name in environment.list_templates():
        source = environment.loader.get_source(environment, name)[0]
        parsed = environment.parse(source)
        names |= {found for found in meta.find_referenced_templates(parsed) if found}
        names |= set(re.findall(r"default\(\"([a-z0-9_/]+\.html)\"\)", source))
    return names


def test_every_template_asked_for_exists() -> None:
    asked = _names_in_python() | _names_in_templates()
    assert "orders/shop/checkout.html" in asked and "console/layout.html" in asked
    assert sorted(asked - set(environment.list_templates())) == []


def test_every_template_file_has_exactly_one_name() -> None:
    files = _template_files()
    served = {}
    for name in environment.list_templates():
        filename = environment.loader.get_source(environment, name)[1]
        served[name] = Path(filename).resolve()
    assert sorted(served.values()) == [path.resolve() for path in files]


def test_no_shared_folder_is_named_like_a_domain() -> None:
    """``web/templates/orders/...`` would answer to the names of ``orders/templates``."""
    shared = {name.split("/")[0] for name in FileSystemLoader(TEMPLATES_DIR).list_templates()}
    assert shared & set(domain_template_dirs()) == set()
    assert {"orders", "payments", "promotions"} <= set(domain_template_dirs())
