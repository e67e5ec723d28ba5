"""Catalogue: categories, products with spec dimensions, generated SKUs, the shop's browsing."""
