"""carriersim: a local simulator of Kuaidi100's parcel-tracking protocol (subscribe, signed
pushes, real-time query), for the demo and the tests. Never part of an installation that
did not start it: WeShop knows it only as a Kuaidi100 URL in its settings."""
