"""ModelAdmin mixin for the lists ordered by hand as a whole table (thematics, transversal axes,
territories): a "Monter" / "Descendre" column and the view its buttons post to (`ordre/`).

The buttons are real <button>s of a separate form (#ordre-form,
templates/admin/reorderable_change_list.html), outside the list's own form, named after their
row ("Monter « Emploi »"). The view calls `move_item`, perer/lib/reorder.move by default (the
one implementation of a reorder). A new row goes last; the position is never typed.

Queries: the column reads nothing per row (the list costs the same with 3 or 40 rows); a move
costs perer/lib/reorder.py's budget.
"""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from perer.lib import reorder
from perer.lib.admin_mixins import is_lookup_value

if TYPE_CHECKING:  # what ReorderListMixin is mixed into (a plain class at run time)
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object

# The words of the buttons, as posted ("12:monter").
DIRECTIONS = {"monter": reorder.UP, "descendre": reorder.DOWN}
BUTTON = (
    '<button type="submit" form="ordre-form" name="deplacer" value="{pk}:{word}" '
    'id="deplacer-{pk}-{word}" class="reorder-button"{focus}>{label}'
    '<span class="visually-hidden"> « {name} »</span></button>'
)


def moved_message(item, other, word):
    if other is None:
        where = "première" if word == "monter" else "dernière"
        return f"« {item} » est déjà en {where} position.", messages.INFO
    where = "avant" if word == "monter" else "après"
    return f"Ordre modifié : « {item} » passe {where} « {other} ».", messages.SUCCESS


class ReorderListMixin(_ModelAdminBase):
    change_list_template = "admin/reorderable_change_list.html"

    def move_item(self, item, direction):
        return reorder.move(item, direction)

    def reorder_url_name(self):
        return f"{self.opts.app_label}_{self.opts.model_name}_reorder"

    def get_urls(self):
        view = self.admin_site.admin_view(self.reorder_view)
        return [path("ordre/", view, name=self.reorder_url_name()), *super().get_urls()]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.has_change_permission(request):
            columns.insert(1, self.reorder_column(getattr(request, "_perer_moved", "")))
        return columns

    def reorder_column(self, moved):
        """The column's cells; the button of the row just moved ("12-monter") has the focus,
        so that pressing Enter again moves it further."""

        @admin.display(description="déplacer")
        def reorder_buttons(obj):
            up, down = (
                format_html(
                    BUTTON,
                    pk=obj.pk,
                    word=word,
                    label=word.capitalize(),
                    name=obj,
                    focus=" autofocus" if moved == f"{obj.pk}-{word}" else "",
                )
                for word in DIRECTIONS
            )
            return format_html('<span class="reorder">{} {}</span>', up, down)

        return reorder_buttons

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if obj is not None else [name for name in fields if name != "position"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "position"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.position = reorder.next_position(type(obj))
        super().save_model(request, obj, form, change)

    def changelist_view(self, request, extra_context=None):
        # The row just moved, named by the reorder view's redirect: not a filter of the list.
        if "deplace" in request.GET:
            request.GET = request.GET.copy()
            request._perer_moved = request.GET.pop("deplace")[-1]
        extra_context = extra_context or {}
        if self.has_change_permission(request):
            name = f"{self.admin_site.name}:{self.reorder_url_name()}"
            extra_context["reorder_url"] = reverse(name)
        return super().changelist_view(request, extra_context)

    def reorder_view(self, request):
        """POST deplacer=<id>:<monter|descendre>: move that row up or down the list."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        changelist = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
        )
        pk, _, word = request.POST.get("deplacer", "").partition(":")
        item = None
        if word in DIRECTIONS and is_lookup_value(self.opts.pk, pk):
            item = self.model._default_manager.filter(pk=pk).first()
        if item is None:
            self.message_user(request, "Élément à déplacer inconnu.", messages.ERROR)
            return redirect(changelist)
        try:
            other = self.move_item(item, DIRECTIONS[word])
        except reorder.OrderingError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(changelist)
        self.message_user(request, *moved_message(item, other, word))
        return redirect(f"{changelist}?deplace={item.pk}-{word}")
