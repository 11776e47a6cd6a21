"""Whole-page cache for anonymous visitors, invalidated by the data itself.

The key holds the content version read from the database (the latest `Protocol.last_changed_at`,
which every change in any protocol, territory or reference list bumps:
services/content_changes.record_change, and the number of protocols), so an edit made on any
app server invalidates the pages of all of them, whether the cache is local memory or a shared
Redis. Visitors with a session (staff, city leads, anyone with a pending message) always get a
freshly rendered page.

Underneath, the protocol page's sections are cached for every visitor under keys of their own
(rendering/protocol_fragments.py): a page rendered here, or for a visitor with a session, joins
the same fragments, each valid on its own whatever this cache holds.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpResponse
from django.utils import timezone

from commitments.models import Protocol

TIMEOUT = 24 * 3600


def content_version(protocols=None):
    """One cheap query: changes whenever anything shown on a public page changes.

    `protocols` narrows it to the pages that show only those protocols (a territory's page):
    an edit in another city then leaves that page cached."""
    protocols = Protocol.objects.all() if protocols is None else protocols
    version = protocols.aggregate(latest=Max("last_changed_at"), count=Count("pk"))
    latest = version["latest"].isoformat() if version["latest"] else "-"
    return f"{latest}/{version['count']}"


def territory_version(request, slug):
    return content_version(Protocol.objects.filter(territory__slug=slug))


def _personal(request):
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def cached_public_page(view=None, *, daily=False, version=None):
    """Cache a GET view's 200 responses per full URL and content version.

    `daily`: the page also depends on today's date (e.g. "no update for 12 months").
    `version(request, **kwargs)`: a narrower content version for this page.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or _personal(request):
                return view(request, *args, **kwargs)
            current = version(request, **kwargs) if version else content_version()
            # Views may cache what they read under it (the search's filter choices).
            request.content_version = current
            parts = [current, request.get_full_path()]
            if daily:
                parts.append(timezone.localdate().isoformat())
            key = "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()
            hit = cache.get(key)
            if hit is not None:
                content, content_type = hit
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            if response.status_code == 200 and not response.streaming and not response.cookies:
                cache.set(key, (response.content, response["Content-Type"]), TIMEOUT)
            return response

        wrapper.cached_public_page = True  # tests find the cached pages by it
        return wrapper

    return decorator(view) if view is not None else decorator
