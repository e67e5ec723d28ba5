"""wxsim: a local simulator of the WeChat platform APIs that WeShop calls (demo and tests)."""
