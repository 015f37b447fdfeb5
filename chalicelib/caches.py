"""The caches a warm container keeps (settings, AWS clients, files), listed so one call forgets them all."""

from __future__ import annotations

from typing import Protocol


class _Cache(Protocol):
    def cache_clear(self) -> None: ...


_caches: list[_Cache] = []


def register[C: _Cache](cache: C) -> C:
    """Put a `functools.cache`d function on the list `reset()` empties; use it as the outer decorator."""
    _caches.append(cache)
    return cache


def reset() -> None:
    """Empty every registered cache, as a cold start would (`wiring.reset()` also forgets account facts)."""
    for cache in _caches:
        cache.cache_clear()
