"""The answer sheet of a campaign for a city lead (/suivi/campagnes/<id>/, as a lead; staff get
the campaign's steering page at the same address: views/campaign_pages.campaign_detail dispatches).

- `sheet` (GET, called by campaign_detail): every commitment of the campaign in the lead's
  territories, grouped by thematic and strategic objective, each row with its status,
  progress, latest update, whether it is answered for the campaign, and its form; filters
  « à renseigner pour la campagne » (on by default while the campaign is open), thematic,
  status.
- `answer_row` (POST /suivi/campagnes/<id>/engagements/<kind>/<pk>/): one row's answer. The
  buttons: « Rien de nouveau » (a commitment already reported: its status confirmed,
  services/progress_rule.confirm_last_status; never reported: the status observed, chosen in
  the row, recorded as a dated update), « Enregistrer et passer au suivant », « Enregistrer ».
  Without JavaScript: a redirect back to the sheet at the row (`#engagement-<kind>-<pk>`, or
  the next row's) with a message; an error re-renders the sheet with the error next to the
  row's field, the input kept (400). With JavaScript (static/js/answer_sheet.js, `Accept:
  application/json`): the same POST answers JSON, the row's new HTML and the counts.
- `answer_bulk` (POST /suivi/campagnes/<id>/rien-de-nouveau/): « Rien de nouveau » for the
  ticked rows, after a confirmation naming how many (a page without JavaScript, a dialog with
  it); the rows never reported get the status chosen for them.

Answers are dated today, or the last day of the campaign's period once it is past
(selectors/sheet_rows.answer_date): an answer counts for the campaign. Every write goes
through services/progress_rule.py, each row with the version its form was loaded with (a
commitment changed meanwhile: « modifié entre-temps », nothing written, input kept).

Permissions (commitments/permissions.py): anonymous → login; a user who sees no campaign → 403;
a lead asking for a campaign (or a commitment) outside their territories → 404; staff → the
steering page on GET, 403 on the sheet's POSTs (they record updates in /suivi/); a closed
campaign takes no answer. Query counts are constant whatever the number of commitments
(tests/commitments/views/test_answer_sheet.py).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from commitments.enums import CampaignState, Status
from commitments.models import TRACKED_MODELS, progress_for
from commitments.permissions import (
    campaign_territories_visible_to,
    campaigns_visible_to,
    can_manage_campaigns,
    can_see_campaigns,
)
from commitments.selectors.campaign_completion import remaining_message
from commitments.selectors.sheet_rows import (
    answer_date,
    completion_of,
    grouped,
    matches,
    sheet_commitments,
    thematics_of,
)
from commitments.services.progress_rule import confirm_last_status, record_update
from commitments.views.progress_forms import (
    NEW_UPDATE_STATUSES,
    STATUS_ERRORS,
    UpdateForm,
    add_errors,
)
from commitments.views.tracking_space import _refuse_stale
from perer.lib.concurrency import VersionConflict
from perer.lib.http_methods import require_POST

MODELS = {model.kind: model for model in TRACKED_MODELS}
NO_ACCESS = (
    "Les campagnes de suivi sont réservées à l'équipe de l'agglomération et aux chefs de projet "
    "rattachés à un territoire : demandez à l'équipe de l'agglomération de vous rattacher à "
    "votre ville."
)
STAFF_ANSWERS = (
    "La feuille de réponses d'une campagne est celle des chefs de projet : l'équipe de "
    "l'agglomération enregistre les points d'avancement depuis l'espace de suivi."
)
CLOSED = "La campagne « {title} » est clôturée : elle ne reçoit plus de réponse."
NOTHING_NEW_COMMENT = "Rien de nouveau depuis le point précédent."
FIRST_STATUS_COMMENT = "Rien de nouveau : statut constaté."
CHANGED_FOR_CONFIRM = (
    "Vous avez modifié ce champ : « Rien de nouveau » confirme la situation actuelle. "
    "Choisissez « Enregistrer » pour enregistrer votre modification."
)
SAVE, SAVE_NEXT, NOTHING_NEW = "enregistrer", "enregistrer-suivant", "rien-de-nouveau"


def key_of(node):
    return f"{node.kind}-{node.pk}"


def anchor_of(node):
    return f"engagement-{key_of(node)}"


def _parse_key(value):
    """("action", 12) from "action-12", None when malformed."""
    kind, _, pk = (value or "").partition("-")
    if kind not in MODELS or not pk.isdigit() or len(pk) > 18:
        return None
    return kind, int(pk)


# --- Forms -----------------------------------------------------------------------------------


class SheetRowForm(UpdateForm):
    """One row of the sheet: status, progress, comment and link, dated by the campaign
    (`answer_date`); `confirming`: « Rien de nouveau » (the status only asked for a
    commitment never reported)."""

    date = None

    def __init__(self, *args, commitment, answer_date, confirming=False, **kwargs):
        self.answer_date = answer_date
        self.never_reported = commitment.last_date is None
        self.confirming = confirming and not self.never_reported
        initial = kwargs.setdefault("initial", {})
        initial["progress"] = commitment.progress
        if commitment.status != Status.NOT_REPORTED:
            initial["status"] = commitment.status
        kwargs.setdefault("auto_id", f"id_{key_of(commitment)}_%s")
        super().__init__(*args, commitment=commitment, **kwargs)
        self.fields["comment"].widget.attrs["rows"] = 2
        self.fields["comment"].help_text = ""
        self.fields["link"].help_text = ""
        self.fields["progress"].help_text = ""
        if self.confirming:
            for name in ("status", "progress", "link"):
                self.fields[name].required = False

    def clean(self):
        if self.confirming:
            for name in ("status", "progress", "link"):
                if name in self.changed_data and name not in self.errors:
                    self.add_error(name, CHANGED_FOR_CONFIRM)
            return self.cleaned_data
        return super().clean()

    def update_values(self):
        data = self.cleaned_data
        if self.confirming:
            return {
                "status": self.commitment.status,
                "progress": self.commitment.progress,
                "date": self.answer_date,
                "comment": data.get("comment") or NOTHING_NEW_COMMENT,
            }
        return {
            "status": data.get("status"),
            "progress": data.get("progress"),
            "date": self.answer_date,
            "comment": data.get("comment") or "",
            "link": data.get("link") or "",
        }


class SheetFilterForm(forms.Form):
    a_renseigner = forms.BooleanField(
        label="À renseigner pour la campagne", label_suffix="", required=False
    )
    thematique = forms.ChoiceField(
        label="Thématique",
        required=False,
        error_messages={
            "invalid_choice": "Cette thématique n'existe pas : choisissez-en une dans la liste."
        },
    )
    statut = forms.ChoiceField(
        label="Statut",
        choices=[("", "Tous les statuts"), *Status.choices],
        required=False,
        error_messages={
            "invalid_choice": "Ce statut n'existe pas : choisissez-en un dans la liste."
        },
    )

    def __init__(self, data, *, thematics, **kwargs):
        super().__init__(data, **kwargs)
        self.thematics = {thematic.slug: thematic for thematic in thematics}
        self.fields["thematique"].choices = [("", "Toutes les thématiques")] + [
            (thematic.slug, thematic.name) for thematic in thematics
        ]

    def clean_thematique(self):
        return self.thematics.get(self.cleaned_data.get("thematique"))


class BulkForm(forms.Form):
    """The ticked rows ("action-12:5": key and version) and the status observed for those
    never reported."""

    engagements = forms.MultipleChoiceField(
        label="Engagements cochés",
        error_messages={
            "required": "Cochez au moins un engagement pour enregistrer « rien de nouveau ».",
        },
    )
    statut_constate = forms.ChoiceField(
        label="Statut constaté pour les engagements jamais renseignés",
        choices=[("", "Choisissez un statut"), *NEW_UPDATE_STATUSES],
        required=False,
        error_messages=STATUS_ERRORS,
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engagements"].choices = [(value, value) for value in choices]


def _ticked(values):
    """{(kind, pk): version or None} from the posted "kind-pk:version" values."""
    ticked = {}
    for value in values:
        key, _, version = value.partition(":")
        parsed = _parse_key(key)
        if parsed is None:
            continue
        ticked[parsed] = int(version) if version.isdigit() and len(version) < 18 else None
    return ticked


# --- Access ----------------------------------------------------------------------------------


def _answerable_campaign(user, pk):
    if not can_see_campaigns(user):
        raise PermissionDenied(NO_ACCESS)
    campaign_ = get_object_or_404(campaigns_visible_to(user), pk=pk)
    if can_manage_campaigns(user):
        raise PermissionDenied(STAFF_ANSWERS)
    return campaign_


def _territory_ids(user, campaign_):
    return [territory.pk for territory in campaign_territories_visible_to(user, campaign_)]


def _sheet_url(campaign_, query="", anchor=""):
    url = campaign_.get_absolute_url()
    if query:
        url += f"?{query}"
    return f"{url}#{anchor}" if anchor else url


# --- The sheet -------------------------------------------------------------------------------


def _filters(request, campaign_, thematics):
    """The filter form and the filters it gives ({} when invalid)."""
    data = request.GET.copy()
    if "filtres" not in data:
        # The defaults: « à renseigner » on while the campaign is open.
        data = QueryDict(mutable=True)
        data.update(request.GET)
        if campaign_.state == CampaignState.OPEN:
            data["a_renseigner"] = "on"
    form = SheetFilterForm(data, thematics=thematics)
    return form, (form.cleaned_data if form.is_valid() else {})


def render_sheet(request, campaign_, *, bound=None, status=200):
    """The sheet; `bound`: {(kind, pk): SheetRowForm} for a row posted with errors."""
    user = request.user
    territories = campaign_territories_visible_to(user, campaign_)
    nodes = sheet_commitments(campaign_, [t.pk for t in territories])
    date = answer_date(campaign_)
    thematics = thematics_of(nodes)
    filter_form, filters = _filters(request, campaign_, thematics)
    bound = bound or {}
    kept = set(bound) | {_parse_key(request.GET.get("ligne"))}
    shown = [
        node
        for node in nodes
        if (node.kind, node.pk) in kept
        or matches(
            node,
            missing_only=filters.get("a_renseigner", False),
            thematic=filters.get("thematique"),
            status=filters.get("statut"),
        )
    ]
    saved_key = _parse_key(request.GET.get("ligne"))
    for node in shown:
        node.just_saved = (node.kind, node.pk) == saved_key and not bound
    rows = [(node, bound.get((node.kind, node.pk)) or _row_form(node, date)) for node in shown]
    completion = completion_of(nodes)
    query = request.GET.urlencode()
    invalid = bool(bound) or (filter_form.is_bound and not filter_form.is_valid())
    return render(
        request,
        "campaigns/answer_sheet.html",
        {
            "campaign": campaign_,
            "state": campaign_.state,
            "is_open": campaign_.state == CampaignState.OPEN,
            "days_left": campaign_.days_left(),
            "territories": territories,
            "sections": grouped(rows),
            "shown": len(shown),
            "total": len(nodes),
            "completion": completion,
            "remaining_message": remaining_message(campaign_, completion),
            "answer_date": date,
            "filter_form": filter_form,
            "bulk_form": BulkForm(),
            "error_forms": [filter_form, *bound.values()],
            "invalid": invalid,
            "query": query,
            "breadcrumbs": [
                ("Accueil", reverse("home")),
                ("Espace de suivi", reverse("tracking_space")),
                ("Campagnes de suivi", reverse("campaign_list")),
                (campaign_.title, None),
            ],
        },
        status=400 if invalid else status,
    )


def sheet(request, campaign_):
    """GET /suivi/campagnes/<id>/ for a lead (views/campaign_pages.campaign_detail)."""
    return render_sheet(request, campaign_)


def _row_form(node, date, data=None, confirming=False):
    return SheetRowForm(data, commitment=node, answer_date=date, confirming=confirming)


# --- One row ---------------------------------------------------------------------------------


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _row_html(request, campaign_, node, form, query, saved=False):
    return render_to_string(
        "answer_sheet/_row.html",
        {
            "node": node,
            "form": form,
            "campaign": campaign_,
            "query": query,
            "saved": saved,
            "is_open": campaign_.state == CampaignState.OPEN,
        },
        request=request,
    )


def _record_row(request, node, form, action):
    """Write the row's answer through services/progress_rule.py; errors land on the form."""
    data = form.cleaned_data
    values = form.update_values()
    try:
        if form.confirming:
            confirm_last_status(
                node,
                date=values["date"],
                comment=values["comment"],
                author=request.user,
                version=data.get("version"),
            )
        else:
            if action == NOTHING_NEW and not values["comment"]:
                values["comment"] = FIRST_STATUS_COMMENT
            record_update(node, **values, author=request.user, version=data.get("version"))
    except VersionConflict as conflict:
        _refuse_stale(form, node, conflict)
        return False
    except ValidationError as error:
        add_errors(form, getattr(error, "error_dict", {None: error.messages}))
        return False
    return True


def _saved_message(node, form, date):
    if form.confirming:
        return f"« Rien de nouveau » est enregistré au {date:%d/%m/%Y} : le statut est confirmé."
    return (
        f"Réponse enregistrée au {date:%d/%m/%Y} : « {Status(node.status).label} », "
        f"{node.progress} %."
    )


@login_required
@require_POST
def answer_row(request, pk, kind, commitment_pk):
    user = request.user
    campaign_ = _answerable_campaign(user, pk)
    if kind not in MODELS:
        raise Http404("Niveau inconnu.")
    territory_ids = _territory_ids(user, campaign_)
    found = sheet_commitments(campaign_, territory_ids, keys=[(kind, commitment_pk)])
    if not found:
        raise Http404("Cet engagement ne fait pas partie de cette campagne pour vos territoires.")
    node = found[0]
    query = request.POST.get("retour", "")
    if campaign_.is_closed:
        message = CLOSED.format(title=campaign_.title)
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=409)
        messages.error(request, message)
        return redirect(campaign_.get_absolute_url())
    action = request.POST.get("action")
    if action not in (SAVE, SAVE_NEXT, NOTHING_NEW):
        action = SAVE
    date = answer_date(campaign_)
    form = _row_form(node, date, request.POST, confirming=action == NOTHING_NEW)
    saved = form.is_valid() and _record_row(request, node, form, action)
    if not saved:
        if _wants_json(request):
            return JsonResponse(
                {
                    "ok": False,
                    "row": _row_html(request, campaign_, node, form, query),
                    "message": "Votre réponse n'a pas été enregistrée : corrigez la ligne.",
                },
                status=400,
            )
        request.GET = QueryDict(query)
        return render_sheet(request, campaign_, bound={(node.kind, node.pk): form})
    node = sheet_commitments(campaign_, territory_ids, keys=[(kind, commitment_pk)])[0]
    message = _saved_message(node, form, date)
    # « Rien de nouveau » and « … passer au suivant » go on to the next row.
    go_next = action in (SAVE_NEXT, NOTHING_NEW)
    if _wants_json(request):
        everything = sheet_commitments(campaign_, territory_ids)
        completion = completion_of(everything)
        return JsonResponse(
            {
                "ok": True,
                "row": _row_html(
                    request, campaign_, node, _row_form(node, date), query, saved=True
                ),
                "message": message,
                "next": go_next,
                "summary": remaining_message(campaign_, completion),
                "reported": completion.reported,
                "missing": completion.missing,
                "total": completion.total,
            }
        )
    messages.success(request, message)
    params = QueryDict(query, mutable=True)
    params["ligne"] = key_of(node)
    anchor = anchor_of(node)
    if go_next:
        anchor = _next_anchor(request, campaign_, territory_ids, node, params) or anchor
    return redirect(_sheet_url(campaign_, params.urlencode(), anchor))


def _next_anchor(request, campaign_, territory_ids, node, params):
    """The anchor of the row after `node` in the sheet as filtered by `params`."""
    nodes = sheet_commitments(campaign_, territory_ids)
    fake = request.GET
    request.GET = params
    try:
        _, filters = _filters(request, campaign_, thematics_of(nodes))
    finally:
        request.GET = fake
    after = False
    for other in nodes:
        if after and matches(
            other,
            missing_only=filters.get("a_renseigner", False),
            thematic=filters.get("thematique"),
            status=filters.get("statut"),
        ):
            return anchor_of(other)
        if (other.kind, other.pk) == (node.kind, node.pk):
            after = True
    return None


# --- « Rien de nouveau » for the ticked rows -------------------------------------------------


@login_required
@require_POST
def answer_bulk(request, pk):
    user = request.user
    campaign_ = _answerable_campaign(user, pk)
    if campaign_.is_closed:
        messages.error(request, CLOSED.format(title=campaign_.title))
        return redirect(campaign_.get_absolute_url())
    query = request.POST.get("retour", "")
    ticked = _ticked(request.POST.getlist("engagements"))
    territory_ids = _territory_ids(user, campaign_)
    nodes = sheet_commitments(campaign_, territory_ids, keys=list(ticked)) if ticked else []
    form = BulkForm(request.POST, choices=request.POST.getlist("engagements"))
    valid = form.is_valid()
    never = [node for node in nodes if node.last_date is None]
    status = form.cleaned_data.get("statut_constate") if valid else None
    if valid and not nodes:
        form.add_error("engagements", form.fields["engagements"].error_messages["required"])
        valid = False
    confirmed = request.POST.get("confirmer") == "oui"
    if valid and confirmed and never and not status:
        form.add_error("statut_constate", STATUS_ERRORS["required"])
        valid = False
    if valid and confirmed:
        problems = _record_bulk(request, campaign_, nodes, ticked, status)
        if not problems:
            count = len(nodes)
            plural = "s" if count > 1 else ""
            messages.success(
                request,
                f"« Rien de nouveau » est enregistré pour {count} engagement{plural} au "
                f"{answer_date(campaign_):%d/%m/%Y}.",
            )
            return redirect(_sheet_url(campaign_, query, "feuille"))
        for problem in problems:
            form.add_error(None, problem)
        valid = False
    return render(
        request,
        "answer_sheet/bulk_confirm.html",
        {
            "campaign": campaign_,
            "form": form,
            "nodes": nodes,
            "never": never,
            "ticked": request.POST.getlist("engagements"),
            "count": len(nodes),
            "answer_date": answer_date(campaign_),
            "query": query,
            "error_forms": [form],
            "invalid": bool(form.errors),
            "breadcrumbs": [
                ("Accueil", reverse("home")),
                ("Espace de suivi", reverse("tracking_space")),
                ("Campagnes de suivi", reverse("campaign_list")),
                (campaign_.title, campaign_.get_absolute_url()),
                ("Rien de nouveau", None),
            ],
        },
        status=400 if form.errors else 200,
    )


def _record_bulk(request, campaign_, nodes, ticked, status):
    """All the ticked rows or none; returns the problems (French), empty when recorded."""
    date = answer_date(campaign_)
    problems = []
    with transaction.atomic():
        for node in nodes:
            version = ticked.get((node.kind, node.pk))
            try:
                if node.last_date is None:
                    record_update(
                        node,
                        status=status,
                        progress=progress_for(status, node.progress),
                        date=date,
                        comment=FIRST_STATUS_COMMENT,
                        author=request.user,
                        version=version,
                    )
                else:
                    confirm_last_status(
                        node,
                        date=date,
                        comment=NOTHING_NEW_COMMENT,
                        author=request.user,
                        version=version,
                    )
            except VersionConflict:
                problems.append(
                    f"« {node.text[:80]} » a été modifié entre-temps : rechargez la feuille "
                    "de réponses pour voir sa situation, puis cochez-le à nouveau."
                )
            except ValidationError as error:
                problems.append(f"« {node.text[:80]} » : {' '.join(error.messages)}")
        if problems:
            transaction.set_rollback(True)
    return problems
