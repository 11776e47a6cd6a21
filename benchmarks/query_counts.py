"""SQL queries per public page, uncached, on a fresh seeded SQLite database (not a test).

    DATABASE_URL=sqlite:////tmp/perer-queries.sqlite3 .venv/bin/python benchmarks/query_counts.py

Prints "status queries path" for each page; the tests assert the budgets
(tests/commitments/views/test_page_queries.py), this prints them for a note or a comparison
between two commits.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perer.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

PAGES = [
    "/",
    "/territoires/",
    "/territoires/evry-courcouronnes/",
    "/thematiques/",
    "/thematiques/emploi/",
    "/engagements/?q=illectronisme",
    "/engagements/",
    "/glossaire/",
    "/tableau-de-bord/",
    "/tableau-de-bord/grigny/",
    "/api/v1/actions/",
    "/flux/mises-a-jour.atom",
]


def main():
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_protocols", verbosity=0)
    from commitments.models import Action, Protocol

    pages = [*PAGES, f"/engagements/action/{Action.objects.first().pk}/"]
    pages.append(f"/api/v1/protocoles/{Protocol.objects.first().pk}/")
    client = Client()
    for index, path in enumerate(pages):
        cache.clear()
        separator = "&" if "?" in path else "?"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{path}{separator}sans-cache={index}")
        print(f"{response.status_code} {len(queries.captured_queries):3d} {path}")


if __name__ == "__main__":
    main()
