"""How a published rate reads: a percentage with one decimal, and no figure at all when there is nothing to divide."""


def percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None
