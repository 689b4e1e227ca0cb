"""One module per page; each exposes ``create()`` that registers its routes."""
