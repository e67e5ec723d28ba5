"""Flash sales (秒杀): sessions of a store or of the whole mall, their items with flash stock
taken from the SKUs' regular stock, and the attempts shoppers make at the peak."""
