"""Full-text matching shared by every searchable model."""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection, models

# PostgreSQL text search configuration: French stemming without accents (migration 0002).
SEARCH_CONFIG = "perer_french"


def match_text(queryset, fields, terms):
    """`queryset` narrowed to rows whose `fields` match `terms`: French-stemmed and
    accent-insensitive on PostgreSQL, every word as a case-insensitive substring on SQLite."""
    if connection.vendor == "postgresql":
        query = SearchQuery(terms, config=SEARCH_CONFIG, search_type="websearch")
        vector = SearchVector(*fields, config=SEARCH_CONFIG)
        return queryset.annotate(_search=vector).filter(_search=query)
    condition = models.Q()
    for word in terms.split():
        condition &= models.Q(
            *[models.Q(**{f"{name}__icontains": word}) for name in fields], _connector=models.Q.OR
        )
    return queryset.filter(condition)
