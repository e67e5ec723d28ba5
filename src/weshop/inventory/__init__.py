"""Inventory: stock levels, recorded stock movements and reservations that expire."""
