"""Editions of a protocol: frozen, immutable copies of its whole text.

(Named `edition.py`: module names are unique in the project and commitments/services/editions.py
holds the snapshots and the publication.)

An edition is what a council deliberation (or an amendment, « avenant ») adopted: every
section, objective, action, details, partners, axes, the preamble and the preconditions — never
the tracking data (status, progress, pilot, years, updates). Edition 1 of each seeded protocol is
the text adopted by « Del 2019 0128 ».

Design: each edition stores one JSON snapshot of the text (`snapshot`, the format written in
`commitments/services/editions.py:snapshot_of`, "perer-edition" version 1) and the sha256 of its
canonical JSON (`content_hash`), so that « does the current text differ from the last
edition? » is one hash comparison, and an edition's page never reads the live rows.

Invariants (enforced here, by the model, not only hidden in the admin):
- numbers are 1, 2, … per protocol (unique per protocol, >= 1; the service gives last + 1);
- an edition is never changed nor deleted once written: `save()` of an existing row,
  `delete()`, and `Edition.objects…update()/delete()` raise `EditionImmutable` (French
  message). `bulk_create` inserts (the restore path of `import_protocols` uses it);
- a protocol that has editions cannot be deleted (on_delete=PROTECT); a user who published an
  edition cannot be deleted either (PROTECT: deactivate the account instead), so an edition
  always says who published it.
The one bypass is `Edition.objects.discard_for_rebuild(protocols)`, called only by
`seed_protocols --reset`, which wipes the protocols themselves to rebuild them from the files,
and by `import_protocols --replace` once it has checked that the file carries every edition of
the database identical (commitments/services/backup.py), to insert them again unchanged.

Writes: commitments/services/editions.py (publish_edition), commitments/services/seed.py,
commitments/services/backup.py. Queries: `EditionQuerySet` (one query each).
"""

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

IMMUTABLE_MESSAGE = (
    "Une édition publiée ne peut être ni modifiée ni supprimée : publiez une nouvelle édition."
)


class EditionImmutable(Exception):
    """A write that would change or delete a published edition."""

    def __init__(self, message=IMMUTABLE_MESSAGE):
        super().__init__(message)


class EditionQuerySet(models.QuerySet):
    def for_protocol(self, protocol):
        return self.filter(protocol=protocol)

    def for_protocols(self, protocols):
        return self.filter(protocol__in=protocols)

    def for_territory(self, territory):
        return self.filter(protocol__territory=territory)

    def numbered(self, number):
        return self.filter(number=number)

    def oldest_first(self):
        return self.order_by("protocol_id", "number")

    def newest_first(self):
        return self.order_by("-number")

    def latest_for(self, protocol):
        """The protocol's last edition, or None (one query)."""
        return self.for_protocol(protocol).newest_first().first()

    def latest_per_protocol(self):
        """Each protocol's last edition only (one query with a subquery)."""
        last = Edition.objects.filter(protocol=OuterRef("protocol")).newest_first()
        return self.filter(pk=Subquery(last.values("pk")[:1]))

    def without_snapshot(self):
        """Lists that show numbers, titles and dates do not load the (large) snapshots."""
        return self.defer("snapshot")

    def update(self, **kwargs):
        raise EditionImmutable()

    def delete(self):
        raise EditionImmutable()

    def discard_for_rebuild(self, protocols):
        """Delete the editions of `protocols`: ONLY for `seed_protocols --reset` and
        `import_protocols --replace`, which rebuild the protocols (see the module docstring)."""
        return models.QuerySet(Edition).filter(protocol__in=protocols).delete()


class Edition(models.Model):
    protocol = models.ForeignKey(
        "commitments.Protocol",
        verbose_name="protocole",
        on_delete=models.PROTECT,
        related_name="editions",
    )
    number = models.PositiveIntegerField("numéro")
    title = models.CharField(
        "titre", max_length=200, help_text="Par exemple « Texte adopté », « Avenant n° 1 »."
    )
    deliberation_reference = models.CharField(
        "référence de la délibération", max_length=80, blank=True
    )
    deliberation_date = models.DateField("date de la délibération", null=True, blank=True)
    published_at = models.DateTimeField("publiée le", default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="publiée par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    snapshot = models.JSONField("texte figé", editable=False)
    content_hash = models.CharField(
        "empreinte du texte (SHA-256)", max_length=64, editable=False, db_index=True
    )

    objects = EditionQuerySet.as_manager()

    class Meta:
        verbose_name = "édition"
        verbose_name_plural = "éditions"
        ordering = ["protocol", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="%(app_label)s_%(class)s_number_from_1"
            ),
        ]

    def __str__(self):
        return f"Édition {self.number} — {self.title}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise EditionImmutable()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The edition's public page (select_related("protocol__territory") for lists)."""
        return reverse(
            "edition_detail",
            kwargs={"slug": self.protocol.territory.slug, "number": self.number},
        )

    def delete(self, *args, **kwargs):
        raise EditionImmutable()
