"""The alliance pool and its promoters (推客): pool listings and plans, promoters, share links,
attribution of orders and commission."""
