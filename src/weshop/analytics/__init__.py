"""Analytics: figures and charts for the consoles, computed from orders, payments and stock."""
