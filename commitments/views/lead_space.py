"""/suivi/: the reporting space where city project leads (and agglomeration staff) record the
progress of the commitments they track.

- `space`: "Mes engagements", the tracked commitments of the user's territories, filtered.
- `commitment`: one commitment in context, its timeline, the form to record an update,
  "Rien de nouveau", and its pilot and years.
- `objective_review`: every tracked commitment of one strategic objective at once.

Login required; a lead may only act on the territories they lead (403 otherwise, nothing
written). Writes go through services/progress_rule.py. Query counts are constant whatever the
number of commitments (tests/…/test_lead_space.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.forms import formset_factory
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from commitments.enums import Status
from commitments.models import (
    TRACKED_MODELS,
    Action,
    OperationalObjective,
    ProgressUpdate,
    Thematic,
)
from commitments.permissions import can_edit_tracking, can_track_territory
from commitments.reporting.protocol_tree import strategic_objectives_tree
from commitments.reporting.worklist import grouped, tracked_commitments
from commitments.services.progress_rule import confirm_last_status, latest_update, record_update
from commitments.views.progress_forms import (
    ConfirmForm,
    ReviewForm,
    ReviewRowForm,
    SpaceFilterForm,
    UpdateForm,
    details_form_class,
)
from territories.models import Territory
from territories.roles import is_agglomeration, led_territory_ids

MODELS = {model.kind: model for model in TRACKED_MODELS}


def _visible_territories(user):
    """Every territory for the agglomeration, the led ones for a lead; 403 for anyone else."""
    if is_agglomeration(user):
        return Territory.objects.in_display_order()
    if not can_edit_tracking(user):
        raise PermissionDenied(
            "Votre compte n'est rattaché à aucun territoire : demandez à l'agglomération de "
            "vous rattacher à votre ville pour en suivre les engagements."
        )
    return Territory.objects.filter(pk__in=led_territory_ids(user)).in_display_order()


def _check_tracks(user, territory):
    if not can_track_territory(user, territory.pk):
        raise PermissionDenied(
            f"Cet engagement relève de {territory.name} : vous ne pouvez suivre que les "
            "engagements des territoires auxquels votre compte est rattaché."
        )


def _back(request, default):
    """The list the user came from (`next`, same site only), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _space_crumbs(*more):
    return [("Accueil", reverse("home")), ("Espace de suivi", reverse("lead_space")), *more]


@login_required
def space(request):
    territories = _visible_territories(request.user)
    form = SpaceFilterForm(
        request.GET or None, territories=territories, thematics=Thematic.objects.all()
    )
    filters = form.cleaned_data if form.is_valid() else {}
    chosen = filters.get("territoire")
    scope = [chosen.pk] if chosen else [t.pk for t in territories]
    commitments = tracked_commitments(
        scope,
        thematic=filters.get("thematique"),
        status=filters.get("statut"),
        stale=filters.get("sans_nouvelles", False),
        without_lead=filters.get("sans_pilote", False),
    )
    stale = (
        tracked_commitments(scope, stale=True)
        if filters
        else [c for c in commitments if c.is_stale]
    )
    return render(
        request,
        "lead_space/space.html",
        {
            "form": form,
            "error_forms": [form],
            "sections": grouped(commitments),
            "count": len(commitments),
            "stale_count": len(stale),
            "territories": territories,
            "next": request.get_full_path(),
            "breadcrumbs": [("Accueil", reverse("home")), ("Espace de suivi", None)],
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


def _commitment(kind, pk):
    model = MODELS.get(kind)
    if model is None:
        raise Http404("Niveau inconnu.")
    updates = Prefetch(
        "updates", queryset=ProgressUpdate.objects.select_related("author").latest_first()
    )
    queryset = model.objects.with_tree().prefetch_related("partners", updates)
    if model is OperationalObjective:
        queryset = queryset.prefetch_related(
            Prefetch("actions", queryset=Action.objects.order_by("position"))
        )
    return get_object_or_404(queryset, pk=pk)


def _conflict(form, last):
    """Another update was recorded since the page was loaded: refuse, keep the input."""
    loaded = form.cleaned_data.get("last_update")
    current = last.pk if last else None
    if loaded == current:
        return False
    who = last.author.get_full_name() or last.author.get_username() if last.author else "quelqu'un"
    form.add_error(
        None,
        f"{who} a enregistré un point d'avancement le {last.created_at:%d/%m/%Y à %H:%M} "
        f"(« {last.get_status_display()} », {last.progress} %) depuis que vous avez ouvert "
        "cette page. Votre saisie n'a pas été enregistrée ; elle est conservée ci-dessous : "
        "vérifiez le nouveau point dans l'historique, puis enregistrez à nouveau.",
    )
    form.data = form.data.copy()
    form.data["last_update"] = str(current or "")
    return True


def _record(request, commitment, form, action):
    """Run `action` (a service call); its ValidationError lands on the form's fields."""
    try:
        with transaction.atomic():
            action()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return False
    return True


@login_required
def commitment(request, kind, pk):
    item = _commitment(kind, pk)
    _check_tracks(request.user, item.territory)
    last = latest_update(item)
    details_class = details_form_class(type(item))
    update_form = UpdateForm(last=last)
    confirm_form = ConfirmForm(initial=update_form.initial)
    details_form = details_class(instance=item)
    default_back = reverse("lead_space")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "details":
            details_form = details_class(request.POST, instance=item)
            if details_form.is_valid():
                details_form.instance._history_user = request.user
                details_form.save()
                messages.success(request, "Le pilote et le calendrier sont enregistrés.")
                return redirect(_back(request, default_back))
        elif action == "rien-de-nouveau":
            confirm_form = ConfirmForm(request.POST)
            if confirm_form.is_valid() and not _conflict(confirm_form, last):
                data = confirm_form.cleaned_data

                def confirm():
                    confirm_last_status(
                        item, date=data["date"], comment=data["comment"], author=request.user
                    )

                if _record(request, item, confirm_form, confirm):
                    messages.success(request, "« Rien de nouveau » est enregistré à cette date.")
                    return redirect(_back(request, default_back))
        else:
            update_form = UpdateForm(request.POST, last=last)
            if update_form.is_valid() and not _conflict(update_form, last):
                data = update_form.cleaned_data

                def record():
                    record_update(
                        item,
                        status=data["status"],
                        progress=data["progress"],
                        date=data["date"],
                        comment=data["comment"],
                        link=data["link"],
                        author=request.user,
                    )

                if _record(request, item, update_form, record):
                    messages.success(request, "Le point d'avancement est enregistré et publié.")
                    return redirect(_back(request, default_back))
    invalid = any(f.is_bound and f.errors for f in (update_form, confirm_form, details_form))
    return render(
        request,
        "lead_space/commitment.html",
        {
            "commitment": item,
            "territory": item.territory,
            "section": item.section,
            "updates": list(item.updates.all()),
            "last": last,
            "actions": list(item.actions.all()) if isinstance(item, OperationalObjective) else [],
            "update_form": update_form,
            "confirm_form": confirm_form,
            "details_form": details_form,
            "error_forms": [update_form, confirm_form, details_form],
            "next": _back(request, ""),
            "breadcrumbs": _space_crumbs((str(item), None)),
        },
        status=400 if invalid else 200,
    )


@login_required
def objective_review(request, pk):
    objectives = strategic_objectives_tree(details=False).with_tree()
    objective = get_object_or_404(objectives, pk=pk)
    _check_tracks(request.user, objective.territory)
    rows = [leaf for oo in objective.operational_objectives.all() for leaf in oo.leaves()]
    lasts = _latest_updates(rows)
    RowFormSet = formset_factory(ReviewRowForm, extra=0)
    initial = [
        {"status": "", "progress": lasts[_key(row)].progress if _key(row) in lasts else None}
        for row in rows
    ]
    date_form = ReviewForm(request.POST or None, initial={"date": UpdateForm().initial["date"]})
    formset = RowFormSet(request.POST or None, initial=initial, prefix="engagements")
    if request.method == "POST" and date_form.is_valid() and formset.is_valid():
        changed = [
            (row, form) for row, form in zip(rows, formset.forms, strict=True) if _is_changed(form)
        ]
        if _record_review(request, changed, date_form.cleaned_data["date"]):
            messages.success(request, f"{len(changed)} point(s) d'avancement enregistré(s).")
            return redirect(_back(request, reverse("lead_space")))
    return render(
        request,
        "lead_space/objective_review.html",
        {
            "objective": objective,
            "territory": objective.section.protocol.territory,
            "rows": [
                (row, form, lasts.get(_key(row)))
                for row, form in zip(rows, formset.forms, strict=True)
            ],
            "formset": formset,
            "date_form": date_form,
            "error_forms": [date_form, *formset.forms],
            "next": _back(request, ""),
            "breadcrumbs": _space_crumbs((f"Revue : {objective}", None)),
        },
        status=400 if request.method == "POST" else 200,
    )


def _key(node):
    return (node.kind, node.pk)


def _latest_updates(nodes):
    """{(kind, pk): latest update} for loaded commitments, two queries."""
    result = {}
    for model, field in ((Action, "action"), (OperationalObjective, "operational_objective")):
        ids = [node.pk for node in nodes if isinstance(node, model)]
        if not ids:
            continue
        for update in ProgressUpdate.objects.filter(**{f"{field}__in": ids}).latest_first():
            result.setdefault((model.kind, getattr(update, f"{field}_id")), update)
    return result


def _is_changed(form):
    return bool(form.cleaned_data.get("status")) or form.has_changed()


def _record_review(request, changed, date):
    """All the changed rows or none: a row's error lands on its form."""
    failed = False
    try:
        with transaction.atomic():
            for row, form in changed:
                data = form.cleaned_data
                status = data["status"] or row.status
                progress = data["progress"] if data["progress"] is not None else row.progress
                if status == Status.DONE and "progress" not in form.changed_data:
                    progress = 100
                try:
                    record_update(
                        row,
                        status=status,
                        progress=progress,
                        date=date,
                        comment=data["comment"],
                        author=request.user,
                    )
                except ValidationError as error:
                    failed = True
                    for name, errors in getattr(
                        error, "error_dict", {None: error.messages}
                    ).items():
                        form.add_error(name if name in form.fields else None, errors)
            if failed:
                raise ValidationError("rollback")
    except ValidationError:
        return False
    return True
