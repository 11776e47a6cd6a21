"""/suivi/campagnes/: the reporting rounds, for staff and city project leads.

- `round_list`: the rounds the user sees (every round for staff, those concerning a led
  territory for a lead).
- `round_detail`: completion per territory and per thematic, who answered when, what is still
  missing; a lead of a campaign not closed gets its answer sheet instead (views/answer_sheet.py),
  of a closed one the report of their own territories' rows.
- `round_close` (POST, staff): closes the round through services/round_lifecycle.close_round,
  after an explicit confirmation.
- `round_export` (staff): the round's answers as CSV or XLSX (rendering/round_report.py).
- `round_pdf`: the "bilan de la campagne" of a closed round, for all territories (staff) or
  one territory (staff, and that territory's leads): its stored render, as the protocols' PDFs
  (views/pdf_downloads.py `stored_pdf_response`: ETag, 304, never a render after the first).

The permission matrix: anonymous → the login page; a logged-in user who is neither staff nor a
lead with a territory → 403; a lead asking for a round (or a territory's PDF) that does not
concern their territories → 404, as if it did not exist; a lead asking for what only staff do
(close, export, the all-territories PDF) → 403. Other methods → 405. Constant query counts
whatever the number of commitments (tests/commitments/views/test_round_pages.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from commitments import tasks
from commitments.enums import RoundState
from commitments.permissions import (
    can_manage_rounds,
    can_see_rounds,
    can_track_territory,
    round_territories_visible_to,
    rounds_visible_to,
)
from commitments.rendering import round_report
from commitments.reporting.round_completion import report_for
from commitments.services.round_lifecycle import close_round
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
    if not can_see_rounds(user):
        raise PermissionDenied(NO_ACCESS)


def _visible_round(user, pk):
    _check_access(user)
    return get_object_or_404(rounds_visible_to(user), pk=pk)


def _check_staff(user, what):
    if not can_manage_rounds(user):
        raise PermissionDenied(STAFF_ONLY.format(what=what))


def _crumbs(*more):
    return [
        ("Accueil", reverse("home")),
        ("Espace de suivi", reverse("lead_space")),
        *more,
    ]


@login_required
@require_safe
def round_list(request):
    user = request.user
    _check_access(user)
    rounds = list(rounds_visible_to(user).latest_first().prefetch_related("territories"))
    staff = can_manage_rounds(user)
    every = Territory.objects.count() if staff else None
    today = timezone.localdate()
    items = []
    for round_ in rounds:
        territories = sorted(round_.territories.all(), key=lambda t: (t.position, t.name))
        territories = [t for t in territories if can_track_territory(user, t.pk)]
        names = (
            "tous les territoires"
            if staff and len(territories) == every
            else ", ".join(t.name for t in territories)
        )
        items.append({"round": round_, "state": round_.state_on(today), "territories": names})
    return render(
        request,
        "rounds/round_list.html",
        {
            "items": items,
            "staff": staff,
            "breadcrumbs": _crumbs(("Campagnes de suivi", None)),
        },
    )


@login_required
@require_safe
def round_detail(request, pk):
    user = request.user
    round_ = _visible_round(user, pk)
    staff = can_manage_rounds(user)
    if not staff and not round_.is_closed:
        # A lead answers the campaign on its answer sheet (views/answer_sheet.py).
        return answer_sheet.sheet(request, round_)
    report = report_for(user, round_)
    state = round_.state
    return render(
        request,
        "rounds/round_detail.html",
        {
            "round": round_,
            "state": state,
            "is_open": state == RoundState.OPEN,
            "report": report,
            "overall": report.overall,
            "staff": staff,
            "single_territory": len(report.territories) == 1,
            "days_left": round_.days_left(),
            "breadcrumbs": _crumbs(
                ("Campagnes de suivi", reverse("round_list")), (round_.title, None)
            ),
        },
    )


@login_required
@require_POST
def round_close(request, pk):
    user = request.user
    round_ = _visible_round(user, pk)
    _check_staff(user, "clôturer une campagne")
    if request.POST.get("confirmer") != "oui":
        messages.error(
            request,
            "Cochez la case de confirmation pour clôturer la campagne : ses chiffres seront "
            "figés et ne pourront plus changer.",
        )
        return redirect(round_.get_absolute_url())
    try:
        frozen = close_round(round_, user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"La campagne « {round_.title} » est clôturée : les chiffres de {frozen} "
            f"engagement{'s' if frozen > 1 else ''} sont figés.",
        )
    return redirect(round_.get_absolute_url())


@login_required
@require_safe
def round_export(request, pk, format):
    user = request.user
    round_ = _visible_round(user, pk)
    _check_staff(user, "exporter les réponses d'une campagne")
    report = report_for(user, round_)
    writers = {"csv": round_report.csv_bytes, "xlsx": round_report.xlsx_bytes}
    response = HttpResponse(writers[format](report), content_type=EXPORT_TYPES[format])
    filename = f"campagne-{round_.pk}-reponses.{format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def round_pdf(request, pk, slug=None):
    user = request.user
    round_ = _visible_round(user, pk)
    territory = None
    if slug is None:
        _check_staff(user, "télécharger le bilan de tous les territoires")
    else:
        visible = round_territories_visible_to(user, round_)
        territory = next((t for t in visible if t.slug == slug), None)
        if territory is None:
            raise Http404("Ce territoire n'est pas concerné par cette campagne.")
    if not round_.is_closed:
        raise Http404("Le bilan d'une campagne est disponible une fois la campagne clôturée.")
    # The stored report (rendered by a job when the round closed; in this request only if none
    # was ever stored), as the protocols' PDFs are served.
    return stored_pdf_response(
        request,
        round_report.RoundPdf(round_, territory),
        lambda: tasks.queue_round_report(round_, territory),
        public=False,
    )
