"""The products list's bulk tools: one change for a batch of products (:mod:`.service`),
over the API (:mod:`.api`) and in the merchant console (:mod:`.console`)."""
