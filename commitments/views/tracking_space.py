"""/suivi/: the tracking space where city project leads (and agglomeration staff) record the
progress of the commitments they track.

- `space`: "Mes engagements", the tracked commitments of the user's territories, filtered.
- `commitment`: one commitment in context, its timeline, the form to record an update,
  "Rien de nouveau", and its pilot and years.
- `objective_review`: every tracked commitment of one strategic objective at once.

Login required; a lead may only act on the territories they lead (403 otherwise, nothing
written; commitments/permissions.py); other methods than GET and POST are refused (405).
Writes go through services/progress_rule.py (updates) and services/elements.py (pilot and
years). Every form carries the commitment's `version`, checked in the transaction that writes
with the commitment's row locked (perer/lib/concurrency.py): of two leads saving the same
commitment at the same instant, one saves and the other is told what changed meanwhile, their
input kept. Query counts are constant whatever the number of commitments
(tests/commitments/views/test_tracking_space.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.forms import formset_factory
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from commitments.enums import Status
from commitments.models import (
    TRACKED_MODELS,
    Action,
    OperationalObjective,
    ProgressUpdate,
    Thematic,
)
from commitments.permissions import can_edit_tracking, can_track_territory, tracked_territories
from commitments.selectors.campaign_completion import open_campaigns_for
from commitments.selectors.protocol_tree import strategic_objectives_tree
from commitments.selectors.worklist import (
    count_stale,
    grouped,
    latest_updates,
    tracked_commitments,
)
from commitments.services.elements import save_element
from commitments.services.progress_rule import confirm_last_status, record_update
from commitments.views.progress_forms import (
    ConfirmForm,
    ReviewForm,
    ReviewRowForm,
    SpaceFilterForm,
    UpdateForm,
    add_errors,
    details_form_class,
    update_errors,
)
from perer.lib.concurrency import VersionConflict, conflict_message
from perer.lib.http_methods import read_or_post, require_safe
from perer.lib.user_names import display_name
from territories.roles import led_territories

MODELS = {model.kind: model for model in TRACKED_MODELS}
NO_TERRITORY = (
    "Votre compte n'est rattaché à aucun territoire : demandez à l'équipe de l'agglomération de "
    "vous rattacher à votre ville pour en suivre les engagements."
)


def _names(territories):
    names = [territory.name for territory in territories]
    return ", ".join(names[:-1]) + " et " + names[-1] if len(names) > 1 else "".join(names)


def _visible_territories(user):
    """The territories `user` tracks; 403 for anyone who tracks none."""
    if not can_edit_tracking(user):
        raise PermissionDenied(NO_TERRITORY)
    return tracked_territories(user)


def _check_tracks(user, territory):
    if can_track_territory(user, territory.pk):
        return
    if not can_edit_tracking(user):
        raise PermissionDenied(NO_TERRITORY)
    raise PermissionDenied(
        f"Cet engagement fait partie du protocole du territoire « {territory.name} ». Votre "
        f"compte vous permet de suivre les engagements de {_names(led_territories(user))} "
        "seulement."
    )


def _back(request, default):
    """The list the user came from (`next`, same site only), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _space_crumbs(*more):
    return [("Accueil", reverse("home")), ("Espace de suivi", reverse("tracking_space")), *more]


@login_required
@require_safe
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
    if any(filters.get(name) for name in ("thematique", "statut", "sans_pilote")):
        # What is left to update is counted on the whole scope, not on the filtered list.
        stale_count = count_stale(scope)
    else:
        stale_count = sum(1 for c in commitments if c.is_stale)
    stale_query = QueryDict(mutable=True)
    if chosen:
        stale_query["territoire"] = chosen.slug
    stale_query["sans_nouvelles"] = "on"
    territory_list = list(territories)
    return render(
        request,
        "tracking_space/space.html",
        {
            "form": form,
            "error_forms": [form],
            "sections": grouped(commitments),
            "count": len(commitments),
            "stale_count": stale_count,
            "stale_query": stale_query.urlencode(),
            "territories": territory_list,
            # The open campaigns of these territories and what is left for each.
            "open_campaigns": open_campaigns_for([t.pk for t in territory_list]),
            "scope_names": _names([chosen] if chosen else territory_list),
            "next": request.get_full_path(),
            "breadcrumbs": [("Accueil", reverse("home")), ("Espace de suivi", None)],
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
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


SOMEONE = "Quelqu'un"


def _update_message(update):
    """The newest update recorded on the commitment, as the conflict message tells it."""
    recorded = timezone.localtime(update.created_at)
    return (
        f"{display_name(update.author, unknown=SOMEONE)} a enregistré un point "
        f"d'avancement le {recorded:%d/%m/%Y à %H:%M} (« {update.get_status_display()} », "
        f"{update.progress} %, point daté du {update.date:%d/%m/%Y})"
    )


def _conflict_message(commitment, loaded_version, current_version):
    """What changed since the page was loaded: the newest update recorded (the usual case:
    another lead reported meanwhile), or the commitment's own fields when they changed last."""
    newest = commitment.updates.select_related("author").order_by("-created_at", "-pk").first()
    edited = commitment.history.order_by("-history_date", "-history_id").first()
    if newest is None or (edited is not None and edited.history_date > newest.created_at):
        return conflict_message(commitment, loaded_version, current_version)
    return (
        f"Cet engagement a été modifié entre-temps : {_update_message(newest)} depuis que vous "
        "avez ouvert cette page. Votre saisie n'a pas été enregistrée ; elle est conservée "
        "ci-dessous : vérifiez ce nouveau point, puis enregistrez à nouveau."
    )


def _refuse_stale(form, commitment, conflict):
    """Show what changed meanwhile, keep the input, and let a second submit go through (the
    form now carries the current version)."""
    loaded = form.cleaned_data.get("version")
    form.add_error(None, _conflict_message(commitment, loaded, conflict.current_version))
    form.data = form.data.copy()
    current = conflict.current_version
    form.data[form.add_prefix("version")] = "" if current is None else str(current)


def _record(form, commitment, action):
    """Run `action` (a service call, in its own transaction); its ValidationError lands on the
    form's fields, a version conflict on the form."""
    try:
        action()
    except VersionConflict as conflict:
        _refuse_stale(form, commitment, conflict)
        return False
    except ValidationError as error:
        add_errors(form, getattr(error, "error_dict", {None: error.messages}))
        return False
    return True


STRUCTURE_ONLY = (
    "Cet objectif a des actions : son avancement est celui de ses actions. Enregistrez le "
    "point d'avancement action par action, depuis les liens ci-dessous."
)


@login_required
@read_or_post
def commitment(request, kind, pk):
    item = _commitment(kind, pk)
    _check_tracks(request.user, item.territory)
    updates = list(item.updates.all())
    last = updates[0] if updates else None
    actions = list(item.actions.all()) if isinstance(item, OperationalObjective) else []
    details_class = details_form_class(type(item))
    forms = {"last": last, "commitment": item}
    update_form, confirm_form = UpdateForm(**forms), ConfirmForm(**forms)
    details_form = details_class(instance=item)
    default_back = reverse("tracking_space")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "details":
            details_form = details_class(request.POST, instance=item)
            # Validated in the transaction that saves: the version check locks the row.
            with transaction.atomic():
                saved = details_form.is_valid()
                if saved:
                    save_element(details_form.save(commit=False), by=request.user)
            if saved:
                messages.success(request, "Le pilote et le calendrier sont enregistrés.")
                return redirect(_back(request, default_back))
        elif action == "rien-de-nouveau":
            confirm_form = ConfirmForm(request.POST, **forms)
            if actions:
                confirm_form.add_error(None, STRUCTURE_ONLY)
            elif confirm_form.is_valid():
                data = confirm_form.cleaned_data

                def confirm():
                    confirm_last_status(
                        item,
                        date=data["date"],
                        comment=data["comment"],
                        author=request.user,
                        version=data["version"],
                    )

                if _record(confirm_form, item, confirm):
                    messages.success(
                        request,
                        f"« Rien de nouveau » est enregistré au {data['date']:%d/%m/%Y} : le "
                        "statut est confirmé.",
                    )
                    return redirect(_back(request, default_back))
        else:
            update_form = UpdateForm(request.POST, **forms)
            if actions:
                update_form.add_error(None, STRUCTURE_ONLY)
            elif update_form.is_valid():
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
                        version=data["version"],
                    )

                if _record(update_form, item, record):
                    messages.success(request, "Le point d'avancement est enregistré et publié.")
                    return redirect(_back(request, default_back))
    invalid = any(f.is_bound and f.errors for f in (update_form, confirm_form, details_form))
    return render(
        request,
        "tracking_space/commitment.html",
        {
            "commitment": item,
            "territory": item.territory,
            "section": item.section,
            "updates": updates,
            "last": last,
            "can_confirm": last is not None and last.status != Status.NOT_REPORTED,
            "actions": actions,
            "update_form": update_form,
            "confirm_form": confirm_form,
            "details_form": details_form,
            "error_forms": [update_form, confirm_form, details_form],
            "invalid": invalid,
            "next": _back(request, ""),
            "breadcrumbs": _space_crumbs((Truncator(item.text).chars(60), None)),
        },
        status=400 if invalid else 200,
    )


# --- The review of a strategic objective ---------------------------------------------------

OUTDATED = (
    "La liste des engagements de cet objectif a changé depuis que vous avez ouvert cette page "
    "(ou le formulaire est incomplet) : rien n'a été enregistré. Vérifiez les lignes ci-dessous "
    "et enregistrez à nouveau."
)


def _key(node):
    return f"{node.kind}-{node.pk}"


def _review_formset(rows, lasts, data):
    RowFormSet = formset_factory(
        ReviewRowForm, extra=0, max_num=len(rows), absolute_max=max(len(rows), 1)
    )
    initial = []
    for row in rows:
        last = lasts.get((row.kind, row.pk))
        initial.append(
            {
                "key": _key(row),
                "version": row.version,
                "status": "",
                "progress": last.progress if last else None,
            }
        )
    return RowFormSet(data, initial=initial, prefix="engagements")


def _matches(formset, rows):
    """The posted rows are the objective's commitments, in the same order."""
    return formset.management_form.is_valid() and [
        form["key"].value() for form in formset.forms
    ] == [_key(row) for row in rows]


def _review_values(row, form, date):
    data = form.cleaned_data
    status = data["status"] or row.status
    progress = data["progress"] if data["progress"] is not None else row.progress
    if data["status"] == Status.DONE and "progress" not in form.changed_data:
        progress = 100
    return {"status": status, "progress": progress, "date": date, "comment": data["comment"]}


def _validate_review(rows, formset, date_form):
    """The changed rows, validated (form, update rules): [(row, form, values)], or None when
    anything is wrong (the errors are on their row, the date's on the date)."""
    date_valid = date_form.is_valid()
    date = date_form.cleaned_data.get("date") if date_valid else None
    valid = formset.is_valid() and date_valid
    changed = []
    for row, form in zip(rows, formset.forms, strict=True):
        if not form.is_changed() or form.errors:
            continue
        values = _review_values(row, form, date)
        errors = update_errors(row, **values)
        if errors:
            add_errors(form, errors, elsewhere=date_form)
            valid = False
        changed.append((row, form, values))
    return changed if valid else None


def _record_review(request, changed, date_form):
    """All the changed rows or none: each row is recorded with its version checked (its row
    locked); a row changed meanwhile, or refused, is shown on its form and nothing is kept."""
    recorded = True
    with transaction.atomic():
        for row, form, values in changed:
            try:
                record_update(
                    row, **values, author=request.user, version=form.cleaned_data["version"]
                )
            except VersionConflict as conflict:
                _refuse_stale(form, row, conflict)
                recorded = False
            except ValidationError as error:
                errors = getattr(error, "error_dict", {None: error.messages})
                add_errors(form, errors, elsewhere=date_form)
                recorded = False
        if not recorded:
            transaction.set_rollback(True)
    return recorded


@login_required
@read_or_post
def objective_review(request, pk):
    objectives = strategic_objectives_tree(details=False).with_tree()
    objective = get_object_or_404(objectives, pk=pk)
    _check_tracks(request.user, objective.territory)
    rows = [leaf for oo in objective.operational_objectives.all() for leaf in oo.leaves()]
    lasts = latest_updates(rows)
    data = request.POST if request.method == "POST" else None
    date_form = ReviewForm(data, initial={"date": timezone.localdate()})
    formset = _review_formset(rows, lasts, data)
    outdated = False
    if data is not None:
        if not _matches(formset, rows):
            outdated = True
            formset = _review_formset(rows, lasts, None)
        else:
            changed = _validate_review(rows, formset, date_form)
            if changed == [] and not date_form.errors:
                messages.warning(
                    request, "Aucune ligne n'a été modifiée : rien n'a été enregistré."
                )
            elif changed and _record_review(request, changed, date_form):
                count = len(changed)
                plural = "s" if count > 1 else ""
                messages.success(
                    request,
                    f"{count} point{plural} d'avancement enregistré{plural} au "
                    f"{date_form.cleaned_data['date']:%d/%m/%Y}.",
                )
                return redirect(_back(request, reverse("tracking_space")))
    for form, row in zip(formset.forms, rows, strict=True):
        form.summary_label = str(row)
    invalid = outdated or (data is not None and (date_form.errors or not formset.is_valid()))
    return render(
        request,
        "tracking_space/objective_review.html",
        {
            "objective": objective,
            "territory": objective.section.protocol.territory,
            "rows": [
                (row, form, lasts.get((row.kind, row.pk)))
                for row, form in zip(rows, formset.forms, strict=True)
            ],
            "formset": formset,
            "date_form": date_form,
            "error_forms": [date_form, *formset.forms],
            "outdated": OUTDATED if outdated else "",
            "invalid": invalid,
            "next": _back(request, ""),
            "breadcrumbs": _space_crumbs((f"Revue : {Truncator(objective.text).chars(60)}", None)),
        },
        status=400 if invalid else 200,
    )
