"""WeShop: open-source social-commerce platform."""
