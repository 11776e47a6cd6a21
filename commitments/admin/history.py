"""History of every change (django-simple-history), with revert for the agglomeration.

Who changed what is need-to-know (commitments/permissions.can_see_activity): a city lead
opens the history, and each recorded version, of their own territories' protocols, commitments
and updates only (403 elsewhere, and no "Historique" link on the page); the reference lists'
history is open to whoever may view them.

Queries: the history page reads each many-to-many field (partners, axes) of the page's versions
in one query (django-simple-history reads it twice per version): a constant number whatever
the number of versions."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import connection, router, transaction
from django.db.models import ForeignKey
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, ModelChange, ModelDelta
from simple_history.utils import get_m2m_reverse_field_name

from commitments.models import RULE_FIELDS
from commitments.permissions import can_edit_structure, can_see_activity
from perer.lib.admin_mixins import is_lookup_value
from perer.lib.admin_wording import FrenchTitlesMixin, history_title, version_title


class HistoryAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    """History of every change (who, when, before/after) with revert for the agglomeration.
    Every page is titled in French (perer/lib/admin_wording.py)."""

    def history_view_title(self, request, obj):
        return history_title(self.opts, obj)

    def history_form_view_title(self, request, obj):
        return version_title(self.opts, obj, not self.revert_disabled(request, obj))

    def has_view_history_or_change_history_permission(self, request, obj=None):
        allowed = super().has_view_history_or_change_history_permission(request, obj)
        return allowed and (obj is None or can_see_activity(request.user, obj))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["history_hidden"] = not can_see_activity(request.user, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """django-simple-history's deltas between consecutive versions (newest first), the
        many-to-many rows compared as it compares them, read once for the whole page."""
        records = list(historical_records)
        if not records:
            return
        m2m = [field.name for field in records[0]._history_m2m_fields]
        rows = {name: _m2m_rows(records, name, foreign_keys_are_objs) for name in m2m}
        for newer, older in zip(records, records[1:], strict=False):
            delta = newer.diff_against(
                older, excluded_fields=m2m, foreign_keys_are_objs=foreign_keys_are_objs
            )
            changes = [*delta.changes]
            for name in m2m:
                old, new = (
                    rows[name].get(older.history_id, []),
                    rows[name].get(newer.history_id, []),
                )
                if old != new:
                    changes.append(ModelChange(name, old, new))
            changes.sort(key=lambda change: change.field)
            delta = ModelDelta(changes, [change.field for change in changes], older, newer)
            helper = self.get_historical_record_context_helper(request, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)

    def revert_disabled(self, request, obj=None):
        return super().revert_disabled(request, obj) or not can_edit_structure(request.user)

    def check_ids(self, object_id, version_id=None):
        """An id that cannot be a key ("abc", past 64 bits) is a page that does not exist;
        django-simple-history would send it to the database and answer 500."""
        history_model = self.model.history.model
        if not is_lookup_value(self.opts.pk, unquote(object_id)) or (
            version_id is not None and not is_lookup_value(history_model._meta.pk, version_id)
        ):
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self.check_ids(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.check_ids(object_id, version_id)
        if request.method == "POST" and self.revert_disabled(request):
            raise PermissionDenied
        request._perer_reverting = True
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and getattr(request, "_perer_reverting", False):
            self.use_current_version(request, obj)
        return super().get_form(request, obj, change, **kwargs)

    def use_current_version(self, request, obj):
        """A reverted object is saved on top of the current row: it takes the row's current
        version, so that the version keeps growing and concurrent edits are still caught, and
        its current place among its siblings (positions change through
        commitments/services/ordering.py only: an old position could be another's now)."""
        # Status and progress follow the progress updates on a commitment (an update's own
        # status and progress are reverted like any field).
        rule_fields = list(RULE_FIELDS) if hasattr(obj, "_remember_rule_values") else []
        kept = [name for name in ("version", "position", *rule_fields) if hasattr(obj, name)]
        if not kept:
            return
        if hasattr(obj, "version"):
            obj._perer_reverting = True
        rows = self.model._default_manager.filter(pk=obj.pk)
        if request.method == "POST" and connection.features.has_select_for_update:
            rows = rows.select_for_update()
        current = rows.values(*kept).first()
        if current is not None:
            for name in kept:
                setattr(obj, name, current[name])
            if rule_fields:
                obj._remember_rule_values()


def _m2m_rows(records, name, foreign_keys_are_objs):
    """{history_id: the rows of the many-to-many field `name` at that version} for `records`
    (versions of one model), in one query, as HistoricalChanges.diff_against reads them: the
    through rows' editable fields, ordered by the related object, related objects (or a
    DeletedObject) when `foreign_keys_are_objs`."""
    first = records[0]
    reverse_name = get_m2m_reverse_field_name(first.instance_type._meta.get_field(name))
    through = getattr(first, name).model
    fields = [
        field.name
        for field in through._meta.fields
        if field.editable and field.name not in ("id", "m2m_history_id", "history")
    ]
    queryset = through._default_manager.filter(
        history_id__in=[record.history_id for record in records]
    ).order_by(reverse_name)
    found = {}
    if not foreign_keys_are_objs:
        for row in queryset.values("history_id", *fields):
            found.setdefault(row.pop("history_id"), []).append(row)
        return found
    keys = [f for f in fields if isinstance(through._meta.get_field(f), ForeignKey)]
    for row in queryset.select_related(*keys):
        found.setdefault(row.history_id, []).append(
            {field: _related_or_deleted(row, field, through) for field in fields}
        )
    return found


def _related_or_deleted(row, field, through):
    """The through row's value of `field` as diff_against gives it (a deleted related object
    as a DeletedObject)."""
    try:
        value = getattr(row, field)
    except ObjectDoesNotExist:
        value = None
    if value is None:
        meta = through._meta.get_field(field)
        value = DeletedObject(meta.related_model, getattr(row, meta.attname))
    return value
