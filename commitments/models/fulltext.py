"""Full-text matching shared by every searchable model."""

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.db import connection, models
from django.db.models.expressions import Col

# PostgreSQL text search configuration: French stemming without accents (migration 0002).
SEARCH_CONFIG = "perer_french"
# The stored tsvector of the commitment tables (migration 0009, PostgreSQL only).
STORED_DOCUMENT = "search_document"


class StoredDocument(models.Expression):
    """The `search_document` column of the query's own table: generated and stored by
    PostgreSQL from text and details (migration 0009), GIN-indexed, not declared on the models.
    Resolves to a column of the table's alias, so it follows the table into subqueries."""

    output_field = SearchVectorField()

    def resolve_expression(self, query=None, *args, **kwargs):
        column = SearchVectorField()
        column.set_attributes_from_name(STORED_DOCUMENT)
        column.model = query.model
        return Col(query.get_initial_alias(), column)


def match_text(queryset, fields, terms, stored=False):
    """`queryset` narrowed to rows whose `fields` match `terms`: French-stemmed and
    accent-insensitive on PostgreSQL, every word as a case-insensitive substring on SQLite.
    `stored`: the table has the stored document of `fields` (the commitments' text and
    details), read instead of computed on each row."""
    if connection.vendor == "postgresql":
        query = SearchQuery(terms, config=SEARCH_CONFIG, search_type="websearch")
        vector = StoredDocument() if stored else SearchVector(*fields, config=SEARCH_CONFIG)
        return queryset.annotate(_search=vector).filter(_search=query)
    condition = models.Q()
    for word in terms.split():
        condition &= models.Q(
            *[models.Q(**{f"{name}__icontains": word}) for name in fields], _connector=models.Q.OR
        )
    return queryset.filter(condition)
