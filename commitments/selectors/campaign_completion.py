"""What a campaign shows: its commitments, which are reported, completion per territory
and per thematic, who answered when, and what is still missing.

The rule, written here once: a commitment of the campaign (a leaf, models/nodes.py, of a concerned
territory's protocols — the same commitments as the tracking space lists) is *reported* when
it has a progress update dated within [period_start, period_end], both inclusive; a "rien de
nouveau" confirmation is an update, so it counts. Each row also carries the commitment's status
and progress (its latest update, the rule of services/progress_rule.py) and that latest
update's date, comment and author: "who answered when" groups the reported rows by territory
and by that author.

An open (or upcoming) campaign reads the live data (`live_rows`): three queries (actions, leaf
objectives, their authors) whatever the number of commitments. A closed campaign reads its frozen
`CampaignFigure` rows instead (one query), so that an edit after closing changes nothing it shows.
Every figure is then summed in Python over the rows (`CampaignReport`): no query per row.

Who sees what is commitments/permissions.py's (`campaigns_visible_to`,
`campaign_territories_visible_to`).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from commitments.enums import CommitmentKind, NotificationKind, Status
from commitments.models import (
    TARGET_FIELDS,
    Campaign,
    CampaignFigure,
    Notification,
    OperationalObjective,
    ProgressUpdate,
    Thematic,
)
from commitments.permissions import campaign_territories_visible_to
from commitments.selectors.rollups import leaves
from perer.lib.user_names import display_name
from territories.models import Territory

# --- Rows ----------------------------------------------------------------------------------


@dataclass
class CampaignRow:
    """One commitment of a campaign, live or frozen."""

    kind: str
    commitment_id: int | None
    text: str
    territory: Territory
    thematic: object
    status: str
    progress: int
    reported: bool
    last_update_date: object = None
    last_comment: str = ""
    author_id: int | None = None
    author_name: str = ""
    position: int = 0

    @property
    def status_label(self):
        return Status(self.status).label

    @property
    def kind_label(self):
        return CommitmentKind(self.kind).label

    @property
    def tracking_url(self):
        """Where a lead records an update (/suivi/…); None once the commitment is deleted."""
        if self.commitment_id is None:
            return None
        return reverse("tracking_commitment", kwargs={"kind": self.kind, "pk": self.commitment_id})


def in_period(campaign_, model):
    """The updates of the outer commitment row dated within the campaign's period."""
    return ProgressUpdate.objects.filter(
        **{TARGET_FIELDS[model]: OuterRef("pk")},
        date__range=(campaign_.period_start, campaign_.period_end),
    )


def _latest(model):
    return ProgressUpdate.objects.filter(**{TARGET_FIELDS[model]: OuterRef("pk")}).latest_first()


def _document_key(node):
    """Document order across the two levels: an objective sorts where its actions would."""
    section = node.section
    objective = node if isinstance(node, OperationalObjective) else node.operational_objective
    return (
        section.protocol.territory.position,
        section.protocol.territory.name,
        section.protocol_id,
        section.position,
        objective.strategic_objective.position,
        objective.strategic_objective_id,
        objective.position,
        objective.pk,
        node.position if node is not objective else -1,
        node.pk,
    )


def live_rows(campaign_, territory_ids):
    """The campaign's commitments in `territory_ids`, from the live data, in document order.
    Three queries whatever their number."""
    nodes = []
    for queryset in leaves():
        latest = _latest(queryset.model)
        nodes.extend(
            queryset.for_territories(territory_ids)
            .with_tree()
            .annotate(
                campaign_reported=Exists(in_period(campaign_, queryset.model)),
                last_date=Subquery(latest.values("date")[:1]),
                last_comment=Subquery(latest.values("comment")[:1]),
                last_author_id=Subquery(latest.values("author_id")[:1]),
            )
        )
    nodes.sort(key=_document_key)
    author_ids = {node.last_author_id for node in nodes if node.last_author_id is not None}
    users = get_user_model().objects.in_bulk(author_ids) if author_ids else {}
    return [
        CampaignRow(
            kind=node.kind,
            commitment_id=node.pk,
            text=node.text,
            territory=node.section.protocol.territory,
            thematic=node.section.thematic,
            status=node.status,
            progress=node.progress,
            reported=node.campaign_reported,
            last_update_date=node.last_date,
            last_comment=node.last_comment or "",
            author_id=node.last_author_id,
            author_name=display_name(users.get(node.last_author_id)),
            position=position,
        )
        for position, node in enumerate(nodes)
    ]


def frozen_rows(campaign_, territory_ids):
    """The rows frozen when the campaign closed (one query)."""
    figures = (
        CampaignFigure.objects.filter(campaign=campaign_, territory_id__in=territory_ids)
        .select_related("territory", "thematic")
        .order_by("position", "pk")
    )
    return [
        CampaignRow(
            kind=figure.kind,
            commitment_id=figure.action_id or figure.operational_objective_id,
            text=figure.text,
            territory=figure.territory,
            thematic=figure.thematic,
            status=figure.status,
            progress=figure.progress,
            reported=figure.reported,
            last_update_date=figure.last_update_date,
            last_comment=figure.last_comment,
            author_id=figure.author_id,
            author_name=figure.author_name,
            position=figure.position,
        )
        for figure in figures
    ]


def campaign_rows(campaign_, territory_ids):
    return (frozen_rows if campaign_.is_closed else live_rows)(campaign_, territory_ids)


# --- Figures -------------------------------------------------------------------------------


@dataclass
class Completion:
    """How many commitments a group has, how many are reported, and per status."""

    total: int = 0
    reported: int = 0
    statuses: Counter = field(default_factory=Counter)

    def add(self, row):
        self.add_count(row.status, row.reported, 1)

    def add_count(self, status, reported, count):
        """`count` commitments of `status`, reported or not (a group counted in SQL)."""
        self.total += count
        self.reported += count if reported else 0
        self.statuses[status] += count

    @property
    def missing(self):
        return self.total - self.reported

    @property
    def share(self):
        """Percentage reported (0–100), None without any commitment."""
        return round(100 * self.reported / self.total) if self.total else None

    @property
    def status_counts(self):
        """{status value: count} for every status (the charts' input)."""
        return {status: self.statuses.get(status, 0) for status in Status.values}

    @property
    def counts_in_display_order(self):
        return [(status, self.statuses.get(status, 0)) for status in Status.in_display_order()]


@dataclass
class Answer:
    """Who answered for a territory: the reported commitments whose latest update is theirs."""

    territory: Territory
    author_name: str
    count: int
    last_date: object


def remaining_message(campaign_, completion):
    """ "12 engagements sur 59 restent à renseigner pour la campagne « Campagne 2026 »" (once
    closed: "… n'ont pas été renseignés …")."""
    title = f"pour la campagne « {campaign_.title} »"
    missing, total = completion.missing, completion.total
    if total == 0:
        return f"Aucun engagement n'est concerné {title}."
    if missing == 0:
        return f"Tous les engagements ({total}) sont renseignés {title}."
    if getattr(campaign_, "closed_at", None) is not None:
        if missing == 1:
            return f"1 engagement sur {total} n'a pas été renseigné {title}."
        return f"{missing} engagements sur {total} n'ont pas été renseignés {title}."
    if missing == 1:
        return f"1 engagement sur {total} reste à renseigner {title}."
    return f"{missing} engagements sur {total} restent à renseigner {title}."


@dataclass
class CampaignReport:
    campaign: Campaign
    territories: list  # the visible territories of the campaign, in display order
    rows: list  # [CampaignRow] in document order

    @property
    def overall(self):
        completion = Completion()
        for row in self.rows:
            completion.add(row)
        return completion

    @property
    def by_territory(self):
        """[(territory, Completion)] for every visible territory, empty ones included."""
        figures = {territory.pk: Completion() for territory in self.territories}
        for row in self.rows:
            figures.setdefault(row.territory.pk, Completion()).add(row)
        return [(territory, figures[territory.pk]) for territory in self.territories]

    @property
    def by_thematic(self):
        """[(thematic, Completion)] for the thematics that have commitments, in their order."""
        figures: dict[int, Completion] = {}
        thematics: dict[int, Any] = {}
        for row in self.rows:
            thematics[row.thematic.pk] = row.thematic
            figures.setdefault(row.thematic.pk, Completion()).add(row)
        ordered = sorted(thematics.values(), key=lambda t: (t.position, t.name))
        return [(thematic, figures[thematic.pk]) for thematic in ordered]

    @property
    def answers(self):
        """[Answer] per territory (display order) and author, latest first."""
        grouped: dict[tuple[int, str], Answer] = {}
        for row in self.rows:
            if not row.reported:
                continue
            key = (row.territory.pk, row.author_name or "Auteur inconnu")
            answer = grouped.get(key)
            if answer is None:
                grouped[key] = Answer(row.territory, key[1], 1, row.last_update_date)
            else:
                answer.count += 1
                if row.last_update_date and (
                    answer.last_date is None or row.last_update_date > answer.last_date
                ):
                    answer.last_date = row.last_update_date
        order = {territory.pk: index for index, territory in enumerate(self.territories)}
        return sorted(
            grouped.values(),
            key=lambda a: (
                order.get(a.territory.pk, len(order)),
                -(a.last_date.toordinal() if a.last_date else 0),
                a.author_name,
            ),
        )

    @property
    def missing(self):
        return [row for row in self.rows if not row.reported]

    def rows_of(self, territory):
        return [row for row in self.rows if row.territory.pk == territory.pk]

    @property
    def remaining_message(self):
        return remaining_message(self.campaign, self.overall)


def campaign_report(campaign_, territories):
    """The report of `campaign_` limited to `territories` (loaded Territory objects)."""
    ids = [territory.pk for territory in territories]
    return CampaignReport(campaign_, list(territories), campaign_rows(campaign_, ids))


def report_for(user, campaign_):
    """The report `user` may see of `campaign_` (its visible territories only)."""
    return campaign_report(campaign_, campaign_territories_visible_to(user, campaign_))


# --- The staff page: figures counted in SQL, details per territory -----------------------------


def _live_groups(campaign_, territory_ids):
    """[(territory id, thematic id, status, reported, count)]: two grouped queries."""
    groups = []
    for queryset in leaves():
        model = queryset.model
        rows = (
            queryset.for_territories(territory_ids)
            .annotate(campaign_reported=Exists(in_period(campaign_, model)))
            .order_by()
            .values(
                "status",
                "campaign_reported",
                territory_key=F(model.tree.territory),
                thematic_key=F(model.tree.thematic),
            )
            .annotate(n=Count("pk"))
        )
        groups += [
            (r["territory_key"], r["thematic_key"], r["status"], r["campaign_reported"], r["n"])
            for r in rows
        ]
    return groups


def _frozen_groups(campaign_, territory_ids):
    rows = (
        CampaignFigure.objects.filter(campaign=campaign_, territory_id__in=territory_ids)
        .order_by()
        .values("territory_id", "thematic_id", "status", "reported")
        .annotate(n=Count("pk"))
    )
    return [(r["territory_id"], r["thematic_id"], r["status"], r["reported"], r["n"]) for r in rows]


def _live_answers(campaign_, territory_ids):
    """[(territory id, author name, count, last date)] of the reported commitments grouped by
    the author of their latest update: two grouped queries and one for the authors."""
    grouped: Counter[tuple[int, Any]] = Counter()
    last: dict[tuple[int, Any], Any] = {}
    for queryset in leaves():
        model = queryset.model
        latest = _latest(model)
        rows = (
            queryset.for_territories(territory_ids)
            .filter(Exists(in_period(campaign_, model)))
            .annotate(
                last_author_id=Subquery(latest.values("author_id")[:1]),
                last_date=Subquery(latest.values("date")[:1]),
            )
            .order_by()
            .values("last_author_id", territory_key=F(model.tree.territory))
            .annotate(n=Count("pk"), latest_date=Max("last_date"))
        )
        for r in rows:
            key = (r["territory_key"], r["last_author_id"])
            grouped[key] += r["n"]
            if r["latest_date"] and (last.get(key) is None or r["latest_date"] > last[key]):
                last[key] = r["latest_date"]
    author_ids = {author_id for _, author_id in grouped if author_id is not None}
    users = get_user_model().objects.in_bulk(author_ids) if author_ids else {}
    return [
        (
            territory_id,
            display_name(users.get(author_id)),
            count,
            last.get((territory_id, author_id)),
        )
        for (territory_id, author_id), count in grouped.items()
    ]


def _frozen_answers(campaign_, territory_ids):
    rows = (
        CampaignFigure.objects.filter(
            campaign=campaign_, territory_id__in=territory_ids, reported=True
        )
        .order_by()
        .values("territory_id", "author_name")
        .annotate(n=Count("pk"), latest_date=Max("last_update_date"))
    )
    return [(r["territory_id"], r["author_name"], r["n"], r["latest_date"]) for r in rows]


@dataclass
class CampaignSummary:
    """The figures of a campaign's report (`CampaignReport`'s overall, by_territory,
    by_thematic, answers) counted in SQL, without loading one row per commitment: the staff page
    at a hundred territories. The commitments still missing are listed per territory
    (`missing_rows`), on their own page."""

    campaign: Campaign
    territories: list
    groups: list  # [(territory id, thematic id, status, reported, count)]
    answer_groups: list  # [(territory id, author name, count, last date)]
    thematics: dict  # {pk: Thematic}

    @property
    def overall(self):
        completion = Completion()
        for _, _, status, reported, count in self.groups:
            completion.add_count(status, reported, count)
        return completion

    @property
    def by_territory(self):
        figures = {territory.pk: Completion() for territory in self.territories}
        for territory_id, _, status, reported, count in self.groups:
            figures.setdefault(territory_id, Completion()).add_count(status, reported, count)
        return [(territory, figures[territory.pk]) for territory in self.territories]

    @property
    def by_thematic(self):
        figures: dict[int, Completion] = {}
        for _, thematic_id, status, reported, count in self.groups:
            figures.setdefault(thematic_id, Completion()).add_count(status, reported, count)
        ordered = sorted((self.thematics[pk] for pk in figures), key=lambda t: (t.position, t.name))
        return [(thematic, figures[thematic.pk]) for thematic in ordered]

    @property
    def answers(self):
        territories = {territory.pk: territory for territory in self.territories}
        grouped: dict[tuple[int, str], Any] = {}
        for territory_id, name, count, last_date in self.answer_groups:
            key = (territory_id, name or "Auteur inconnu")
            answer = grouped.get(key)
            if answer is None:
                grouped[key] = Answer(territories[territory_id], key[1], count, last_date)
            else:
                answer.count += count
                if last_date and (answer.last_date is None or last_date > answer.last_date):
                    answer.last_date = last_date
        order = {pk: index for index, pk in enumerate(territories)}
        return sorted(
            grouped.values(),
            key=lambda a: (
                order.get(a.territory.pk, len(order)),
                -(a.last_date.toordinal() if a.last_date else 0),
                a.author_name,
            ),
        )

    @property
    def remaining_message(self):
        return remaining_message(self.campaign, self.overall)


def campaign_summary(campaign_, territories):
    """The `CampaignSummary` of `campaign_` over `territories` (loaded Territory objects): five
    queries for an open campaign (seven with authors and thematics), three for a closed one,
    whatever the number of territories and commitments."""
    territories = list(territories)
    ids = [territory.pk for territory in territories]
    if campaign_.is_closed:
        groups, answers = _frozen_groups(campaign_, ids), _frozen_answers(campaign_, ids)
    else:
        groups, answers = _live_groups(campaign_, ids), _live_answers(campaign_, ids)
    thematic_ids = {thematic_id for _, thematic_id, *_ in groups}
    thematics = Thematic.objects.in_bulk(thematic_ids) if thematic_ids else {}
    return CampaignSummary(campaign_, territories, groups, answers, thematics)


def summary_for(user, campaign_):
    """The summary `user` may see of `campaign_` (its visible territories only)."""
    return campaign_summary(campaign_, campaign_territories_visible_to(user, campaign_))


def missing_rows(campaign_, territory):
    """The commitments of `territory` still missing for `campaign_`, in document order."""
    return [row for row in campaign_rows(campaign_, [territory.pk]) if not row.reported]


def closing_facts(campaign_, overall=None):
    """What the confirmation of a closing states: the completion over the campaign's territories
    (`overall`, when already counted), the share still missing (percent) and the days left
    before the deadline."""
    if overall is None:
        overall = campaign_summary(campaign_, campaign_.territories.all()).overall
    share = round(100 * overall.missing / overall.total) if overall.total else None
    return {"overall": overall, "missing_share": share, "days_left": campaign_.days_left()}


@dataclass
class LastReminder:
    day: object
    recipients: int


def last_manual_reminder(campaign_):
    """The day of the latest « Relancer les retardataires » that emailed someone, and how many
    leads it emailed that day (None before any): two queries. The day is in the key
    (services/notifications.py `manual_reminder_key`)."""
    reminders = Notification.objects.filter(
        campaign=campaign_, kind=NotificationKind.REMINDER_MANUAL
    )
    latest = reminders.order_by("-created_at", "-pk").values_list("key", flat=True).first()
    if latest is None:
        return None
    day_part = latest.rsplit(":day=", 1)[-1]
    count = reminders.filter(key__endswith=f":day={day_part}").count()
    return LastReminder(datetime.date.fromisoformat(day_part), count)


# --- The tracking space: open campaigns and what is left -------------------------------------


@dataclass
class OpenCampaign:
    campaign: Campaign
    completion: Completion

    @property
    def remaining_message(self):
        return remaining_message(self.campaign, self.completion)


def open_campaigns_for(territory_ids, today=None):
    """[OpenCampaign] for the campaigns open today concerning `territory_ids`, counted over those
    territories only. Four queries whatever the number of campaigns and commitments: the campaigns,
    their territories, then one aggregate per leaf level with two counts per campaign."""
    today = today or timezone.localdate()
    territory_ids = set(territory_ids)
    campaigns = list(
        Campaign.objects.open_on(today)
        .concerning(territory_ids)
        .order_by("deadline", "pk")
        .prefetch_related("territories")
    )
    if not campaigns:
        return []
    scopes = {
        campaign_.pk: sorted({t.pk for t in campaign_.territories.all()} & territory_ids)
        for campaign_ in campaigns
    }
    completions = {campaign_.pk: Completion() for campaign_ in campaigns}
    for queryset in leaves():
        model = queryset.model
        territory = model.tree.lookup("territory", "in")
        figures = {}
        for campaign_ in campaigns:
            scope = Q(**{territory: scopes[campaign_.pk]})
            figures[f"total_{campaign_.pk}"] = Count("pk", filter=scope)
            figures[f"reported_{campaign_.pk}"] = Count(
                "pk", filter=scope & Q(Exists(in_period(campaign_, model)))
            )
        row = queryset.for_territories(territory_ids).aggregate(**figures)
        for campaign_ in campaigns:
            completions[campaign_.pk].total += row[f"total_{campaign_.pk}"]
            completions[campaign_.pk].reported += row[f"reported_{campaign_.pk}"]
    return [OpenCampaign(campaign_, completions[campaign_.pk]) for campaign_ in campaigns]


def missing_by_territory(campaign_, today=None):
    """{territory id: number of commitments still missing} for the campaign's territories that
    have any (the reminders' recipients are the leads of these territories). Three queries
    whatever the number of territories and commitments."""
    territory_ids = list(campaign_.territories.values_list("pk", flat=True))
    missing: Counter[int] = Counter()
    for queryset in leaves():
        model = queryset.model
        rows = (
            queryset.for_territories(territory_ids)
            .exclude(Exists(in_period(campaign_, model)))
            .order_by()
            .values(territory_id=F(model.tree.territory))
            .annotate(n=Count("pk"))
        )
        for row in rows:
            missing[row["territory_id"]] += row["n"]
    return dict(missing)


# --- The public dashboard: the last closed campaign -------------------------------------------


@dataclass
class ClosedCampaignFigures:
    campaign: Campaign
    territory_ids: set
    at_closing: dict  # {status value: count}
    now: dict = field(default_factory=dict)  # {status value: count}, set by compared_with

    @property
    def total(self):
        return sum(self.at_closing.values())

    @property
    def total_now(self):
        return sum(self.now.values())

    def compared_with(self, now):
        """The same figures with today's counts (`now`: {status value: count}) over the same
        territories, for the dashboard's table "à la clôture / aujourd'hui"."""
        self.now = {status: now.get(status, 0) for status in Status.values}
        return self

    @property
    def rows(self):
        """[(status label, count at closing, count now)] in display order."""
        return [
            (status.label, self.at_closing.get(status, 0), self.now.get(status, 0))
            for status in Status.in_display_order()
        ]


def _closed_campaigns(territory):
    """The closed campaigns (of `territory` if given), the latest first."""
    campaigns = Campaign.objects.closed()
    if territory is not None:
        campaigns = campaigns.concerning([territory.pk])
    return campaigns.order_by("-closed_at", "-pk")


def last_closed_campaign_stamp(territory=None):
    """What identifies the latest closed campaign (of `territory` if given) as the dashboards
    show it — (pk, closing time, title) — or None: one query. The dashboards' cached bodies are
    keyed by it (rendering/dashboard_bodies.py): closing a campaign does not change the
    protocols' content version."""
    return _closed_campaigns(territory).values_list("pk", "closed_at", "title").first()


def last_closed_campaign(territory=None):
    """The figures of the latest closed campaign (of `territory` if given), or None: two queries.
    The live figures to compare with are the dashboard's own, over `territory_ids`."""
    campaign_ = _closed_campaigns(territory).first()
    if campaign_ is None:
        return None
    figures = CampaignFigure.objects.filter(campaign=campaign_)
    if territory is not None:
        figures = figures.filter(territory=territory)
    at_closing = dict.fromkeys(Status.values, 0)
    territory_ids = set()
    for row in figures.order_by().values("territory_id", "status").annotate(n=Count("pk")):
        territory_ids.add(row["territory_id"])
        at_closing[row["status"]] += row["n"]
    return ClosedCampaignFigures(campaign_, territory_ids, at_closing)
