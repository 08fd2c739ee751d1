"""`make bench`: VenueOS end-to-end benchmark (see bench/__main__.py)."""
