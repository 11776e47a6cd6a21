"""What the seed holds (`seed_protocols`, run once for the test database) and the source
documents it was made from."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from commitments.models import Action

# The seeded territories, in display order (the agglomeration first).
SLUGS = [
    "grand-paris-sud",
    "corbeil-essonnes",
    "grigny",
    "evry-courcouronnes",
    "moissy-cramayel",
    "ris-orangis",
    "savigny-le-temple",
]

# Positions are unique per parent (checked at the end of each test on PostgreSQL): nodes added
# under seeded parents take a position no seed uses.
UNUSED_POSITION = 9999


def grigny_actions():
    """The seeded actions of Grigny (and any added there)."""
    return Action.objects.filter(
        operational_objective__strategic_objective__section__protocol__territory__slug="grigny"
    )


def first_grigny_action():
    return grigny_actions().in_document_order().first()


# The sources: PDF→text conversions of the deliberation, shipped in fixtures/sources/.
SEEDS_DIR = Path(
    os.environ.get("PERER_SEEDS_DIR") or Path(settings.BASE_DIR) / "fixtures" / "sources"
)
SOURCE_FILES = ("000_110d2b5c28605c1f.txt", "001_c7e218ba1ac089e1.txt")
DELIBERATION = "Del 2019 0128"


def source_text():
    """The text of every source document, end to end."""
    missing = [name for name in SOURCE_FILES if not (SEEDS_DIR / name).exists()]
    if missing:
        pytest.fail(
            f"The seed sources {missing} are missing from {SEEDS_DIR}: they ship with the "
            "repository in fixtures/sources/ (or set PERER_SEEDS_DIR to their directory)."
        )
    return " ".join((SEEDS_DIR / name).read_text(encoding="utf-8") for name in SOURCE_FILES)
