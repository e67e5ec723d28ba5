"""Catalogue: categories, products with spec dimensions, generated SKUs, media."""
