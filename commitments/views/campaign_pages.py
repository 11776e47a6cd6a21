"""/suivi/campagnes/: the campaigns, for staff and city project leads.

- `campaign_list`: the campaigns the user sees (every campaign for staff, those concerning a led
  territory for a lead).
- `campaign_detail`: for staff (`_staff_page`), the actions first (close, with a confirmation
  that states the deadline and what is still missing; « Relancer les retardataires » and when
  it was last done; the exports), then completion per territory and per thematic and who
  answered when, all counted in SQL (selectors/campaign_completion.py `campaign_summary`), and
  what is still missing folded by territory: a `<details>` per territory with its count, whose
  list is a page of its own (`campaign_missing`), linked from it (no JavaScript needed) and
  loaded into it when opened (static/js/campaign_missing.js): the page's size grows with the
  number of territories, not of commitments. A lead of a campaign not closed gets its answer
  sheet (views/answer_sheet.py), of a closed one the report of their own territories' rows.
- `campaign_missing`: the commitments of one territory still missing (`?fragment=1`: the list
  alone, for the script); staff, and that territory's leads.
- `campaign_close` (POST, staff): closes the campaign through
  services/campaign_lifecycle.close_campaign, after an explicit confirmation.
- `campaign_remind` (POST, staff): « Relancer les retardataires »: queues the job that emails
  each lead who still has commitments to report, at most once per lead per day
  (services/notifications.py `request_reminder`).
- `campaign_export` (staff): the campaign's answers as CSV or XLSX (rendering/campaign_report.py).
- `campaign_pdf`: the "bilan de la campagne" of a closed campaign, for all territories (staff) or
  one territory (staff, and that territory's leads): its stored render, as the protocols' PDFs
  (views/pdf_downloads.py `stored_pdf_response`: ETag, 304, never a render after the first).

The permission matrix: anonymous → the login page; a logged-in user who is neither staff nor a
lead with a territory → 403; a lead asking for a campaign (or a territory's PDF) that does not
concern their territories → 404, as if it did not exist; a lead asking for what only staff do
(close, export, the all-territories PDF) → 403. Other methods → 405. Constant query counts
whatever the number of commitments (tests/commitments/views/test_campaign_pages.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from commitments import tasks
from commitments.enums import CampaignState
from commitments.permissions import (
    campaign_territories_visible_to,
    campaigns_visible_to,
    can_manage_campaigns,
    can_see_campaigns,
    can_track_territory,
)
from commitments.rendering import campaign_report
from commitments.selectors.campaign_completion import (
    closing_facts,
    last_manual_reminder,
    missing_rows,
    report_for,
    summary_for,
)
from commitments.services import notifications
from commitments.services.campaign_lifecycle import close_campaign
from commitments.views import answer_sheet
from commitments.views.pdf_downloads import stored_pdf_response
from perer.lib.http_methods import require_POST, require_safe
from territories.models import Territory

NO_ACCESS = (
    "Les campagnes de suivi sont réservées à l'équipe de l'agglomération et aux chefs de projet "
    "rattachés à un territoire : demandez à l'équipe de l'agglomération de vous rattacher à "
    "votre ville."
)
STAFF_ONLY = "Seule l'équipe de l'agglomération peut {what}."
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _check_access(user):
    if not can_see_campaigns(user):
        raise PermissionDenied(NO_ACCESS)


def _visible_campaign(user, pk):
    _check_access(user)
    return get_object_or_404(campaigns_visible_to(user), pk=pk)


def _check_staff(user, what):
    if not can_manage_campaigns(user):
        raise PermissionDenied(STAFF_ONLY.format(what=what))


def _crumbs(*more):
    return [
        ("Accueil", reverse("home")),
        ("Espace de suivi", reverse("tracking_space")),
        *more,
    ]


@login_required
@require_safe
def campaign_list(request):
    user = request.user
    _check_access(user)
    campaigns = list(campaigns_visible_to(user).latest_first().prefetch_related("territories"))
    staff = can_manage_campaigns(user)
    every = Territory.objects.count() if staff else None
    today = timezone.localdate()
    items = []
    for campaign_ in campaigns:
        territories = sorted(campaign_.territories.all(), key=lambda t: (t.position, t.name))
        territories = [t for t in territories if can_track_territory(user, t.pk)]
        names = (
            "tous les territoires"
            if staff and len(territories) == every
            else ", ".join(t.name for t in territories)
        )
        items.append(
            {"campaign": campaign_, "state": campaign_.state_on(today), "territories": names}
        )
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "items": items,
            "breadcrumbs": _crumbs(("Campagnes de suivi", None)),
        },
    )


def _staff_page(request, campaign_):
    summary = summary_for(request.user, campaign_)
    overall = summary.overall
    state = campaign_.state
    return render(
        request,
        "campaigns/campaign_staff.html",
        {
            "campaign": campaign_,
            "state": state,
            "is_open": state == CampaignState.OPEN,
            "report": summary,
            **closing_facts(campaign_, overall),
            "by_territory": summary.by_territory,
            "last_reminder": last_manual_reminder(campaign_),
            "breadcrumbs": _crumbs(
                ("Campagnes de suivi", reverse("campaign_list")), (campaign_.title, None)
            ),
        },
    )


@login_required
@require_safe
def campaign_detail(request, pk):
    user = request.user
    campaign_ = _visible_campaign(user, pk)
    if can_manage_campaigns(user):
        return _staff_page(request, campaign_)
    if not campaign_.is_closed:
        # A lead answers the campaign on its answer sheet (views/answer_sheet.py).
        return answer_sheet.sheet(request, campaign_)
    report = report_for(user, campaign_)
    state = campaign_.state
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign_,
            "state": state,
            "is_open": state == CampaignState.OPEN,
            "report": report,
            "overall": report.overall,
            "single_territory": len(report.territories) == 1,
            "days_left": campaign_.days_left(),
            "breadcrumbs": _crumbs(
                ("Campagnes de suivi", reverse("campaign_list")), (campaign_.title, None)
            ),
        },
    )


@login_required
@require_POST
def campaign_close(request, pk):
    user = request.user
    campaign_ = _visible_campaign(user, pk)
    _check_staff(user, "clôturer une campagne")
    if request.POST.get("confirmer") != "oui":
        messages.error(
            request,
            "Cochez la case de confirmation pour clôturer la campagne : ses chiffres seront "
            "figés et ne pourront plus changer.",
        )
        return redirect(campaign_.get_absolute_url())
    try:
        frozen = close_campaign(campaign_, user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"La campagne « {campaign_.title} » est clôturée : les chiffres de {frozen} "
            f"engagement{'s' if frozen > 1 else ''} sont figés.",
        )
    return redirect(campaign_.get_absolute_url())


@login_required
@require_POST
def campaign_remind(request, pk):
    user = request.user
    campaign_ = _visible_campaign(user, pk)
    _check_staff(user, "relancer les chefs de projet")
    state = campaign_.state
    if state == CampaignState.CLOSED:
        messages.error(request, "La campagne est clôturée : il n'y a plus personne à relancer.")
    elif state == CampaignState.UPCOMING:
        messages.error(
            request,
            f"La campagne n'ouvre que le {campaign_.opens_on:%d/%m/%Y} : les chefs de projet "
            "recevront alors le courriel d'ouverture.",
        )
    else:
        notifications.request_reminder(campaign_)
        messages.success(
            request,
            "Relance en cours d'envoi : chaque chef de projet dont un territoire a encore des "
            "engagements à renseigner reçoit un courriel, au plus un par jour (une seconde "
            "relance le même jour n'envoie rien de plus).",
        )
    return redirect(campaign_.get_absolute_url() + "#actions")


@login_required
@require_safe
def campaign_missing(request, pk, slug):
    user = request.user
    campaign_ = _visible_campaign(user, pk)
    visible = campaign_territories_visible_to(user, campaign_)
    territory = next((t for t in visible if t.slug == slug), None)
    if territory is None:
        raise Http404("Ce territoire n'est pas concerné par cette campagne.")
    rows = missing_rows(campaign_, territory)
    context = {
        "campaign": campaign_,
        "territory": territory,
        "rows": rows,
        "breadcrumbs": _crumbs(
            ("Campagnes de suivi", reverse("campaign_list")),
            (campaign_.title, campaign_.get_absolute_url()),
            (f"{territory.name} : restant à renseigner", None),
        ),
    }
    if request.GET.get("fragment") == "1":
        return render(request, "campaigns/_missing_list.html", context)
    return render(request, "campaigns/campaign_missing.html", context)


@login_required
@require_safe
def campaign_export(request, pk, format):
    user = request.user
    campaign_ = _visible_campaign(user, pk)
    _check_staff(user, "exporter les réponses d'une campagne")
    report = report_for(user, campaign_)
    writers = {"csv": campaign_report.csv_bytes, "xlsx": campaign_report.xlsx_bytes}
    response = HttpResponse(writers[format](report), content_type=EXPORT_TYPES[format])
    filename = f"campagne-{campaign_.pk}-reponses.{format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def campaign_pdf(request, pk, slug=None):
    user = request.user
    campaign_ = _visible_campaign(user, pk)
    territory = None
    if slug is None:
        _check_staff(user, "télécharger le bilan de tous les territoires")
    else:
        visible = campaign_territories_visible_to(user, campaign_)
        territory = next((t for t in visible if t.slug == slug), None)
        if territory is None:
            raise Http404("Ce territoire n'est pas concerné par cette campagne.")
    if not campaign_.is_closed:
        raise Http404("Le bilan d'une campagne est disponible une fois la campagne clôturée.")
    # The stored report (rendered by a job when the campaign closed; in this request only if none
    # was ever stored), as the protocols' PDFs are served.
    return stored_pdf_response(
        request,
        campaign_report.CampaignPdf(campaign_, territory),
        lambda: tasks.queue_campaign_report(campaign_, territory),
        public=False,
    )
