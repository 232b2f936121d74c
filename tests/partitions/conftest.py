from tests.ratings.conftest import cards  # noqa: F401  (the same two cards)
