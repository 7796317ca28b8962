"""Media's pages and endpoints, one module per concern (media/urls.py routes to
each): library (families' list, the catalogue, an item's page, proposing,
versions and images), uploads (the direct browser-to-store upload, JSON),
approvals (the référent's decisions), fleets (tablet fleets' pages), tablets (the
tablets' JSON API, device token) and repository (the fleets' F-Droid files).
Every one is thin: form → access → one action → response."""
