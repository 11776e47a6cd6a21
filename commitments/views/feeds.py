"""Atom feeds of the latest progress updates: whole agglomeration and one territory."""

import datetime

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe

from commitments.reporting.dashboard_data import recent_updates
from territories.models import Territory

FEED_LENGTH = 50


class UpdatesFeed(Feed):
    feed_type = Atom1Feed
    title = "Avancement des engagements PERER — Grand Paris Sud"
    subtitle = (
        "Les derniers points d'avancement des Protocoles d'Engagements Renforcés et Réciproques "
        "de Grand Paris Sud et de ses villes."
    )
    author_name = "Communauté d'agglomération Grand Paris Sud"

    def link(self):
        return reverse("dashboard")

    def items(self):
        return recent_updates(limit=FEED_LENGTH)

    def item_title(self, item):
        territory = item.target.territory
        return f"{territory.name} — {item.target} : {item.get_status_display()} ({item.progress} %)"

    def item_description(self, item):
        # Atom summaries are HTML: what a user typed is escaped, then its line breaks kept.
        return format_html(
            "<p>{} — {} : {} %</p>{}",
            item.target._meta.verbose_name.capitalize(),
            item.get_status_display(),
            item.progress,
            mark_safe(linebreaks(item.comment, autoescape=True)),  # noqa: S308 - escaped
        )

    def item_link(self, item):
        return f"{item.target.get_public_url()}#point-{item.pk}"

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.datetime.combine(item.date, datetime.time()))

    def item_updateddate(self, item):
        return max(self.item_pubdate(item), item.created_at)

    def item_categories(self, item):
        section = item.target.section
        return [section.protocol.territory.name, str(section.thematic)]


class TerritoryUpdatesFeed(UpdatesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Territory, slug=slug)

    def title(self, territory):
        return f"Avancement des engagements PERER — {territory.name}"

    def subtitle(self, territory):
        return f"Les derniers points d'avancement du protocole PERER de {territory.name}."

    def link(self, territory):
        return reverse("territory_dashboard", kwargs={"slug": territory.slug})

    def items(self, territory):
        return recent_updates(territory, limit=FEED_LENGTH)
