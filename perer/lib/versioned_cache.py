"""Values cached under a content version: the key changes whenever the content does, so an
entry is never stale and never needs deleting (it expires after `timeout`)."""

from django.core.cache import cache

DAY = 24 * 3600


def cached_under(version, name, load, timeout=DAY):
    """`load()`, cached as `name:version`; loaded each time when there is no version (a page
    served without the page cache)."""
    if version is None:
        return load()
    return cache.get_or_set(f"{name}:{version}", load, timeout)
