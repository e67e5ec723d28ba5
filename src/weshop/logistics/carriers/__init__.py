"""Parcel carriers behind one interface (:mod:`.base`), the carrier codes a store picks from
(:mod:`.codes`), and the adapters: Kuaidi100 (:mod:`.kuaidi100`)."""
