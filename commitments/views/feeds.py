"""Atom feeds of the latest news of the tracking — progress updates and indicators' values —
whole agglomeration and one territory (/flux/mises-a-jour.atom, /flux/<slug>/mises-a-jour.atom);
and of the protocols' editions and changes to their text (/flux/editions.atom,
/flux/<slug>/editions.atom)."""

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import mark_safe

from commitments.models import Edition, IndicatorValue, Protocol
from commitments.rendering.indicator_figures import baseline_text, figure, target_text
from commitments.selectors.dashboard_data import recent_updates
from commitments.selectors.edition_diff import compare
from commitments.selectors.edition_snapshot import snapshot_of
from commitments.selectors.edition_text import count_summary, edition_name, editions_in_force
from commitments.selectors.indicator_data import commitment_url, recent_indicator_values
from commitments.selectors.protocol_tree import protocol_tree_queryset
from territories.models import Territory

FEED_LENGTH = 50


def _update_published(update):
    return timezone.make_aware(datetime.datetime.combine(update.date, datetime.time()))


def latest_news(updates, values):
    """Progress updates and indicators' values, newest first (an update by its date, a value
    by when it was recorded), FEED_LENGTH at most."""
    dated = [((_update_published(u), u.created_at), u) for u in updates]
    dated += [((v.recorded_at, v.recorded_at), v) for v in values]
    dated.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in dated[:FEED_LENGTH]]


class UpdatesFeed(Feed):
    """The latest progress updates and indicators' values: two queries (each with everything
    its entries show)."""

    feed_type = Atom1Feed
    title = "Avancement des engagements PERER — Grand Paris Sud"
    subtitle = (
        "Les derniers points d'avancement et les nouvelles valeurs des indicateurs des "
        "Protocoles d'Engagements Renforcés et Réciproques de Grand Paris Sud et de ses villes."
    )
    author_name = "Communauté d'agglomération Grand Paris Sud"

    def link(self):
        return reverse("dashboard")

    def items(self):
        return latest_news(
            recent_updates(limit=FEED_LENGTH), recent_indicator_values(limit=FEED_LENGTH)
        )

    def item_title(self, item):
        if isinstance(item, IndicatorValue):
            indicator = item.indicator
            scope = f" ({indicator.scope})" if indicator.scope else ""
            return (
                f"{indicator.territory.name} — {indicator.definition.name}{scope} : "
                f"{figure(item.value, indicator.definition.unit)} en {item.year}"
            )
        territory = item.target.territory
        return f"{territory.name} — {item.target} : {item.get_status_display()} ({item.progress} %)"

    def item_description(self, item):
        # Atom summaries are HTML: what a user typed is escaped, then its line breaks kept.
        if isinstance(item, IndicatorValue):
            return indicator_value_description(item)
        return format_html(
            "<p>{} — {} : {} %</p>{}",
            item.target._meta.verbose_name.capitalize(),
            item.get_status_display(),
            item.progress,
            mark_safe(linebreaks(item.comment, autoescape=True)),  # noqa: S308 - escaped
        )

    def item_link(self, item):
        if isinstance(item, IndicatorValue):
            return commitment_url(item.indicator)
        return f"{item.target.get_public_url()}#point-{item.pk}"

    def item_extra_kwargs(self, item):
        if isinstance(item, IndicatorValue):
            # A value replaced for the same year is news again: an entry of its own.
            stamp = item.recorded_at.strftime("%Y%m%d%H%M%S%f")
            return {"id_suffix": f"-indicateur-{item.indicator_id}-{item.year}-{stamp}"}
        return {}

    def get_feed(self, obj, request):
        """An entry's id is its absolute link (Django's default, kept for the progress
        updates); an indicator value's link is its commitment's, so its id adds the value."""
        feed = super().get_feed(obj, request)
        for entry in feed.items:
            suffix = entry.pop("id_suffix", None)
            if suffix:
                entry["unique_id"] = entry["link"] + suffix
        return feed

    def item_pubdate(self, item):
        if isinstance(item, IndicatorValue):
            return item.recorded_at
        return _update_published(item)

    def item_updateddate(self, item):
        if isinstance(item, IndicatorValue):
            return item.recorded_at
        return max(self.item_pubdate(item), item.created_at)

    def item_categories(self, item):
        if isinstance(item, IndicatorValue):
            indicator = item.indicator
            thematic = indicator.commitment.section.thematic
            return [indicator.territory.name, str(thematic), "Indicateur"]
        section = item.target.section
        return [section.protocol.territory.name, str(section.thematic)]


def indicator_value_description(value):
    indicator = value.indicator
    unit = indicator.definition.unit
    facts = [f"Valeur {value.year} : {figure(value.value, unit)}"]
    if indicator.baseline_value is not None:
        facts.append(f"référence : {baseline_text(indicator)}")
    if target_text(indicator):
        facts.append(f"cible : {target_text(indicator)}")
    source = format_html("<p>Source : {}</p>", value.source) if value.source else ""
    return format_html(
        "<p>Indicateur « {}{} » de l'engagement « {} ».</p><p>{}.</p>{}{}",
        indicator.definition.name,
        f" ({indicator.scope})" if indicator.scope else "",
        indicator.commitment,
        " ; ".join(facts),
        source,
        mark_safe(linebreaks(value.comment, autoescape=True)) if value.comment else "",  # noqa: S308 - escaped
    )


class TerritoryUpdatesFeed(UpdatesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Territory, slug=slug)

    def title(self, territory):
        return f"Avancement des engagements PERER — {territory.name}"

    def subtitle(self, territory):
        return (
            f"Les derniers points d'avancement et les nouvelles valeurs des indicateurs du "
            f"protocole PERER de {territory.name}."
        )

    def link(self, territory):
        return reverse("territory_dashboard", kwargs={"slug": territory.slug})

    def items(self, territory):
        return latest_news(
            recent_updates(territory, limit=FEED_LENGTH),
            recent_indicator_values(territory, limit=FEED_LENGTH),
        )


# --- Editions of the protocols and changes to their text -----------------------------------


@dataclass(frozen=True)
class TextEntry:
    """One entry of the editions feeds: a published edition, or the current text's changes not
    yet published (one per territory, dated by the last edit)."""

    title: str
    description: str
    link: str
    published: datetime.datetime
    updated: datetime.datetime
    categories: tuple


def edition_entry(edition, territory, counts=None):
    name = edition_name(edition)
    reference = edition.deliberation_reference
    link = reverse("edition_detail", kwargs={"slug": territory.slug, "number": edition.number})
    parts = [
        format_html(
            "<p>{} du protocole de {} : « {} »{}.</p>",
            name.capitalize(),
            territory.name,
            edition.title,
            format_html(", délibération « {} »", reference) if reference else "",
        )
    ]
    if edition.number > 1:
        changes = reverse("edition_changes", kwargs={"slug": territory.slug})
        summary = f" ({count_summary(counts)})" if counts is not None else ""
        parts.append(
            format_html(
                '<p><a href="{}?de={}&amp;a={}">Ce qui a changé depuis l\'édition {}</a>{}.</p>',
                changes,
                edition.number - 1,
                edition.number,
                edition.number - 1,
                summary,
            )
        )
    return TextEntry(
        title=f"{territory.name} — {name} : {edition.title}",
        description=mark_safe("".join(parts)),  # noqa: S308 - built with format_html
        link=link,
        published=edition.published_at,
        updated=edition.published_at,
        categories=(territory.name, "Édition"),
    )


def pending_entry(territory, protocol, last, comparison):
    """The current text's changes since the last edition `last`, not yet published."""
    changes = reverse("edition_changes", kwargs={"slug": territory.slug})
    items = format_html_join(
        "",
        "<li>{} — {} {}</li>",
        ((c.label, c.item_label, c.number) for c in comparison.changes[:20]),
    )
    description = format_html(
        "<p>Le texte courant du protocole de {} diffère de l'{} : {}, non encore publiés en "
        "édition.</p><ul>{}</ul>"
        '<p><a href="{}?de={}&amp;a=courant">Voir les modifications</a>.</p>',
        territory.name,
        edition_name(last),
        count_summary(comparison.counts),
        items,
        changes,
        last.number,
    )
    return TextEntry(
        title=f"{territory.name} — modifications du texte depuis l'{edition_name(last)}",
        description=description,
        link=f"{changes}?de={last.number}&a=courant",
        published=protocol.last_changed_at,
        updated=protocol.last_changed_at,
        categories=(territory.name, "Modifications non publiées"),
    )


class EditionsFeed(Feed):
    """Every territory's published editions, and each protocol's changes not yet published,
    newest first: constant queries (the editions without snapshots, the protocols' trees,
    their editions in force)."""

    feed_type = Atom1Feed
    title = "Éditions des protocoles PERER — Grand Paris Sud"
    subtitle = (
        "Les éditions publiées des Protocoles d'Engagements Renforcés et Réciproques de Grand "
        "Paris Sud et de ses villes : texte adopté, avenants."
    )
    author_name = "Communauté d'agglomération Grand Paris Sud"

    def link(self):
        return reverse("territory_list")

    def items(self):
        editions = (
            Edition.objects.without_snapshot()
            .select_related("protocol__territory")
            .order_by("-published_at", "-pk")[:FEED_LENGTH]
        )
        entries = [edition_entry(e, e.protocol.territory) for e in editions]
        # Each protocol in force whose current text differs from its edition in force.
        trees = list(
            protocol_tree_queryset().filter(pk__in=Protocol.objects.in_force().values("pk"))
        )
        found = editions_in_force(trees)
        for tree in trees:
            in_force = found.get(tree.pk)
            if in_force is not None and in_force.comparison:
                entries.append(
                    pending_entry(tree.territory, tree, in_force.edition, in_force.comparison)
                )
        entries.sort(key=lambda entry: entry.updated, reverse=True)
        return entries[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.description

    def item_link(self, item):
        return item.link

    def item_guid(self, item):
        return f"{item.link}#{item.published.isoformat()}"

    def item_pubdate(self, item):
        return item.published

    def item_updateddate(self, item):
        return item.updated

    def item_categories(self, item):
        return item.categories


class TerritoryEditionsFeed(EditionsFeed):
    """One territory's editions with what each changed, and the current text's changes not yet
    published (the protocol's tree and its editions' snapshots: constant queries)."""

    def get_object(self, request, slug):
        return get_object_or_404(Territory, slug=slug)

    def title(self, territory):
        return f"Éditions et modifications du protocole PERER — {territory.name}"

    def subtitle(self, territory):
        return (
            f"Les éditions publiées du protocole de {territory.name} et les modifications de son "
            "texte qui ne sont pas encore publiées en édition."
        )

    def link(self, territory):
        return reverse("edition_list", kwargs={"slug": territory.slug})

    def items(self, territory):
        protocol = Protocol.objects.current_for(territory)
        if protocol is None:
            return []
        editions = list(Edition.objects.for_protocol(protocol).order_by("number"))
        entries = []
        for previous, edition in zip([None, *editions], editions, strict=False):
            counts = compare(previous.snapshot, edition.snapshot).counts if previous else None
            entries.append(edition_entry(edition, territory, counts))
        entries.reverse()
        if editions:
            comparison = compare(editions[-1].snapshot, snapshot_of(protocol.pk))
            if comparison:
                entries.insert(0, pending_entry(territory, protocol, editions[-1], comparison))
        return entries[:FEED_LENGTH]
