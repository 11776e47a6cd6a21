"""Full-text search on PostgreSQL: French stemming that ignores accents, and GIN indexes.

`perer_french` is a copy of PostgreSQL's `french` configuration in which words go through
`unaccent` before `french_stem`, so that "education" finds "éducation". The GIN indexes are
built on exactly the expression of commitments.models.nodes.search_vector(), so that searches
use them. Nothing happens on SQLite, where search is a plain case-insensitive match.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from commitments.models.fulltext import SEARCH_CONFIG
from commitments.models.nodes import search_vector

SEARCHABLE = {
    "strategicobjective": "commitments_so_search_idx",
    "operationalobjective": "commitments_oo_search_idx",
    "action": "commitments_action_search_idx",
}


def create_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{SEARCH_CONFIG}') THEN
                CREATE TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} (COPY = french);
                ALTER TEXT SEARCH CONFIGURATION {SEARCH_CONFIG}
                    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
            END IF;
        END
        $$;
        """
    )
    for model_name, index_name in SEARCHABLE.items():
        model = apps.get_model("commitments", model_name)
        schema_editor.add_index(model, GinIndex(search_vector(), name=index_name))


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index_name in SEARCHABLE.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {index_name}")
    schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {SEARCH_CONFIG}")
    # The unaccent extension stays: other databases objects may rely on it.


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]

    operations = [migrations.RunPython(create_search, drop_search)]
