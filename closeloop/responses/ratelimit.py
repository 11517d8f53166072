"""A small fixed-window rate limiter on Django's cache (per IP and per survey)."""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def hit(scope: str, ident: str, limit: int, *, window: int = WINDOW_SECONDS) -> int | None:
    """Count one request; None while within the limit, else the seconds until the window ends."""
    now = time.time()
    slot = int(now // window)
    key = f"rl:{scope}:{ident}:{slot}"
    # add() is a no-op when the key exists, so concurrent first hits do not reset the count.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return max(1, int((slot + 1) * window - now) + 1)
    return None
