"""The orders list's bulk tools: 批量发货 and its CSV of tracking numbers (:mod:`.service`),
over the API (:mod:`.api`), and in the merchant console with 打印发货单 (:mod:`.console`)."""
