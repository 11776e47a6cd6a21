"""History of every change (django-simple-history), with revert for the agglomeration."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import connection, router, transaction
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import RULE_FIELDS
from commitments.permissions import can_edit_structure
from perer.lib.admin_mixins import is_lookup_value
from perer.lib.admin_wording import FrenchTitlesMixin, history_title, version_title


class HistoryAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    """History of every change (who, when, before/after) with revert for the agglomeration.
    Every page is titled in French (perer/lib/admin_wording.py)."""

    def history_view_title(self, request, obj):
        return history_title(self.opts, obj)

    def history_form_view_title(self, request, obj):
        return version_title(self.opts, obj, not self.revert_disabled(request, obj))

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
