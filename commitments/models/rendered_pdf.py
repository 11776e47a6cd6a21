"""The last complete render of each downloadable PDF, shared by every process.

One row per PDF (`key`: « protocole:<slug>:suivi=0 », « bilan:<campaign id>:<slug or tous> »): the
bytes of its last complete render, the version they show (`version`: the renderer's cache key,
which changes with the content and the layout; `version_at`: the date of that version, shown to
readers) and the facts the links print (size, pages). Written only by
commitments/rendering/pdf_store.py, which keeps the rules: a row is replaced whole, in one
UPDATE, by a render at least as new (never a half-written file), and an older render never
replaces a newer one. Read by the PDF views (the version columns first, the bytes only when
they are sent). Lives in the database because the web processes and the worker processes
(`manage.py db_worker`) share nothing else in development (the cache is per process there).
"""

from django.db import models


class RenderedPdf(models.Model):
    key = models.CharField("document", max_length=200, unique=True)
    version = models.CharField("version rendue", max_length=300)
    version_at = models.DateTimeField("date de la version", null=True, blank=True)
    data = models.BinaryField("contenu")
    size = models.PositiveIntegerField("taille (octets)")
    pages = models.PositiveIntegerField("pages")
    rendered_at = models.DateTimeField("rendu le")

    class Meta:
        verbose_name = "PDF rendu"
        verbose_name_plural = "PDF rendus"

    def __str__(self):
        return f"{self.key} ({self.version_at or 'sans date'})"
