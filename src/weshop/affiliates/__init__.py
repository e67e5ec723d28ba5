"""Promoters (推客) and the alliance pool (优选联盟): platform policy, promoters, pool listings
and their plans. Attribution, commission and payouts come in later slices."""
