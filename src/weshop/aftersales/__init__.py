"""After-sales (售后): a shopper's request for a refund, a return or an exchange of an order
line, negotiated with the store, decided by the platform in a dispute."""
