"""Cart: a shopper's items, possibly from several stores."""
