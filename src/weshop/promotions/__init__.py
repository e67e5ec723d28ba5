"""Coupons, full reductions and stacking rules: the promotions the pricing core applies."""
