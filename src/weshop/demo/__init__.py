"""Demo data for ``weshop demo``: the content (data) and how it is put in (seed)."""

from weshop.demo.data import SHOPPERS, STORES, logins
from weshop.demo.seed import DemoError, SeedResult, seed

__all__ = ["SHOPPERS", "STORES", "DemoError", "SeedResult", "logins", "seed"]
