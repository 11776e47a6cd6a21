"""The protocol page's tree cached one thematic section at a time, so that after an edit only
the changed section renders again (views/protocol_page.py).

A section's fragment is its markup (protocol/_section.html, the flags of the protocol page) and
its roll-up (the page's header sums them), cached under a key made of:
- the section's own last change (`ThematicSection.last_changed_at`, moved by every write to the
  section, its tree or their tracking, and by every write that every page shows: a protocol's
  own fields, an edition published, a territory, a reference list —
  services/content_changes.record_change);
- the edition in force (its key) and the marks of what changed since it in this section (the
  page computes them once per version of the protocol, then caches them: see the view);
- the glossary's version (`Glossary.version`, its terms and their expansions);
- the code version: a digest of the templates the section's render loads, found on the compiled
  templates (rendering/template_sources.py), the tag modules they load with their project
  imports, this module and the roll-ups', with Django's version — a deployment changing any of
  them starts from an empty fragment cache, on every app server.
The entries are never stale, never deleted: a new version is a new key (they expire after a
day). They hold nothing personal (the tree is the same for every visitor), so the page serves
them with or without its page cache (views/page_cache.py), which keeps caching whole pages for
anonymous visitors on top.
"""

import hashlib
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from commitments.rendering.pdf import files_digest
from commitments.rendering.template_sources import template_files
from commitments.selectors import rollups
from commitments.selectors.rollups import Rollup

SECTION_TEMPLATE = "protocol/_section.html"
# The flags of protocol/_tree.html on the protocol page.
PAGE_FLAGS = {"tracking": True, "links": True, "numbered": False, "print": False}
TIMEOUT = 24 * 3600


def _code_version(template, modules):
    sources = [*template_files(template), *(Path(module) for module in modules)]
    return files_digest(sources, packages=("django",))


@memoize
def _deployed_code_version(template, modules):
    return _code_version(template, modules)


def render_code_version(template, *modules):
    """The digest of the code that shapes a cached render of `template`: the templates it
    loads, the tag modules they load with their project imports, the files `modules` (the
    Python that computes what it shows) and Django's version. Computed once per process, except
    with DEBUG, where the development server reloads edited templates without restarting. Also
    the dashboards' (rendering/dashboard_bodies.py)."""
    modules = tuple(str(module) for module in modules)
    if settings.DEBUG:
        return _code_version(template, modules)
    return _deployed_code_version(template, modules)


def code_version():
    """The code version of a section's fragment (see the module docstring)."""
    return render_code_version(SECTION_TEMPLATE, __file__, rollups.__file__)


def _marks_digest(marks):
    if not marks:
        return "-"
    return hashlib.sha256(repr(tuple(marks)).encode()).hexdigest()[:12]


def section_key(section, edition_id, glossary, marks=()):
    """The cache key of a section's fragment: `section` a ThematicSection (its pk and
    last_changed_at), `edition_id` the edition in force's (None: none), `glossary` the page's
    Glossary, `marks` the section's edition marks (any repr-stable sequence)."""
    parts = (
        code_version(),
        section.pk,
        section.last_changed_at.isoformat(),
        edition_id or "-",
        glossary.version,
        _marks_digest(marks),
    )
    return "protocol-section:" + ":".join(map(str, parts))


def section_rollup(section):
    """The roll-up of a loaded section whose strategic objectives carry their `rollup`."""
    return Rollup.sum(so.rollup for so in section.strategic_objectives.all())


def render_section(section, glossary):
    """(markup, roll-up) of one loaded section, as the protocol page shows it."""
    context = {"section": section, "glossary": glossary, **PAGE_FLAGS}
    return render_to_string(SECTION_TEMPLATE, context), section_rollup(section)


def cached_fragments(keys):
    """{key: (markup, roll-up)} of the fragments found in the cache (one read)."""
    found = cache.get_many(list(keys))
    return {key: (mark_safe(markup), rollup) for key, (markup, rollup) in found.items()}  # noqa: S308 - rendered by render_section


def store_fragments(fragments):
    """Cache {key: (markup, roll-up)} (one write)."""
    if fragments:
        cache.set_many(
            {key: (str(markup), rollup) for key, (markup, rollup) in fragments.items()}, TIMEOUT
        )
