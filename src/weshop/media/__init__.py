"""Media: uploaded images, checked by their bytes and stored once per store, for any domain
to show (product images, store logos)."""
