"""Every public page renders the same HTML as before the speed work of issue #15.

The pages (home, territory list, every protocol page, every thematic, both dashboards of every
territory, the search with several queries, the glossary, the API list) are rendered from the
seed data and compared, normalised for whitespace and for the dates derived from today's (today,
the dashboards' 12-month cutoff), with the golden files in
tests/commitments/views/golden/<vendor>/ (sqlite, postgresql: the full-text search finds
different results on each). Regenerate the golden files after an intended change of a page
(read the diff of the golden files before committing them):

    PERER_REGENERATE_GOLDEN=1 .venv/bin/pytest -q -p no:cacheprovider \
        tests/commitments/views/test_rendered_pages_unchanged.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perer_x TEST_DATABASE_NAME=test_perer_golden \
        PERER_REGENERATE_GOLDEN=1 .venv/bin/pytest -q -p no:cacheprovider --create-db \
        tests/commitments/views/test_rendered_pages_unchanged.py

The golden files hold the seed's primary keys in links: the test database is seeded once per
session (tests/conftest.py) before any test writes, so they are the same on every run.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connection
from django.utils import formats, timezone

from commitments.models import Thematic
from commitments.selectors.rollups import stale_cutoff
from territories.models import Territory

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = bool(os.environ.get("PERER_REGENERATE_GOLDEN"))

SEARCHES = [
    "",
    "q=illectronisme",
    "q=emploi",
    "q=emploi&territoire=grigny",
    "thematique=emploi&statut=non_renseigne",
    "territoire=grigny&territoire=ris-orangis",
    "page=2",
    "page=999",
    "page=0",
    "page=abc",
    "q=introuvablezzz",
]


def public_paths():
    paths = ["/", "/territoires/", "/thematiques/", "/glossaire/", "/tableau-de-bord/"]
    for slug in Territory.objects.order_by("slug").values_list("slug", flat=True):
        paths += [f"/territoires/{slug}/", f"/tableau-de-bord/{slug}/"]
    for slug in Thematic.objects.order_by("slug").values_list("slug", flat=True):
        paths.append(f"/thematiques/{slug}/")
    paths += [f"/engagements/?{query}" if query else "/engagements/" for query in SEARCHES]
    paths += ["/api/v1/actions/", "/api/v1/actions/?page=2", "/api/v1/actions/?territoire=grigny"]
    return paths


def normalise(text):
    """Whitespace collapsed (between tags too); today's date and the dashboards' cutoff (12
    months before today) in every form pages write them, so that the pages compare on any day."""
    today = timezone.localdate()
    for day, name in ((today, "<today>"), (stale_cutoff(today), "<cutoff>")):
        for form in {
            day.isoformat(),
            formats.date_format(day, "j F Y"),
            formats.date_format(day, "d/m/Y"),
        }:
            text = text.replace(form, name)
    text = re.sub(r"\s+", " ", text)
    return re.sub(r">\s+<", "><", text).strip()


def golden_name(path):
    return re.sub(r"[^a-z0-9]+", "_", path.strip("/").lower()).strip("_") or "home"


def test_every_public_page_renders_as_its_golden_file(client):
    paths = public_paths()
    assert len(paths) > 30  # seven territories, five thematics, the searches
    golden_dir = GOLDEN / connection.vendor
    golden_dir.mkdir(parents=True, exist_ok=True)
    differing = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        rendered = normalise(response.content.decode())
        golden = golden_dir / f"{golden_name(path)}.txt"
        if REGENERATE:
            golden.write_text(f"{path}\n{rendered}\n")
            continue
        assert golden.exists(), f"no golden file for {path}: regenerate (see the docstring)"
        expected = golden.read_text().split("\n", 1)[1].rstrip("\n")
        if rendered != expected:
            at = next(
                (i for i, (a, b) in enumerate(zip(rendered, expected, strict=False)) if a != b),
                min(len(rendered), len(expected)),
            )
            differing.append(
                f"{path}: at {at}\n  now:    …{rendered[at - 120 : at + 120]}…\n"
                f"  before: …{expected[at - 120 : at + 120]}…"
            )
    assert not differing, "\n".join(differing)
