"""Editions of the protocols in the admin: a read-only list, and the publication of a new
edition with a preview of what changes and a confirmation.

Who: agglomeration staff and superusers (commitments/permissions.can_edit_structure), by role,
whatever the Django model permissions; city project leads do not see these pages (403) — they
read the editions on the public pages. Nobody, superuser included, adds, changes or deletes an
edition here: has_add/change/delete_permission are False, and the model refuses anyway
(models/edition.py).

Publishing (`publier/`, a button on the list): the form (protocol, title, reference, date) →
POST "Aperçu": the changes since the last edition (selectors/edition_diff.compare: counts and
the list of items added, removed, moved and changed), with the hash of the text previewed →
POST "Publier": services/editions.publish_edition, the one write path, which refuses an
unchanged text; if the text changed between the preview and the confirmation, the new preview
is shown again instead of publishing something nobody saw. Queries: constant (the protocol's
tree is loaded once by snapshot_of; the last edition is one query).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from commitments.models import Edition, Protocol
from commitments.permissions import can_edit_structure
from commitments.selectors.edition_diff import CHANGE_KINDS, CHANGE_LABELS, compare
from commitments.services.editions import (
    SAME_TEXT,
    content_hash,
    publish_edition,
    snapshot_of,
)
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin
from perer.lib.admin_wording import FrenchTitlesMixin

COUNTED_KINDS = ("section", "strategic_objective", "operational_objective", "action")
CHANGED_SINCE_PREVIEW = (
    "Le texte du protocole a changé depuis l'aperçu : vérifiez le nouvel aperçu ci-dessous "
    "avant de publier."
)
KIND_PLURALS = {
    "section": "sections thématiques",
    "strategic_objective": "objectifs stratégiques",
    "operational_objective": "objectifs opérationnels",
    "action": "actions",
}


def count_items(snapshot):
    """{kind: count} of a snapshot's nodes."""
    counts = dict.fromkeys(COUNTED_KINDS, 0)
    stack = list(snapshot.get("sections", ()))
    while stack:
        node = stack.pop()
        counts[node["kind"]] = counts.get(node["kind"], 0) + 1
        stack.extend(node.get("children", ()))
    return counts


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ProtocolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.territory.name} — {obj.title} ({obj.deliberation_reference})"


class PublishForm(forms.Form):
    protocol = ProtocolChoiceField(
        label="Protocole",
        queryset=Protocol.objects.select_related("territory").order_by(
            "territory__position", "-start_year", "pk"
        ),
        empty_label="— choisir un protocole —",
        error_messages={"invalid_choice": "Choisissez un protocole de la liste."},
    )
    title = forms.CharField(
        label="Titre de l'édition",
        max_length=200,
        help_text="Par exemple « Avenant n° 1 ».",
        error_messages={"required": "Donnez un titre à l'édition (par exemple « Avenant n° 1 »)."},
    )
    deliberation_reference = forms.CharField(
        label="Référence de la délibération", max_length=80, required=False
    )
    deliberation_date = forms.DateField(
        label="Date de la délibération",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Saisissez une date valide (jj/mm/aaaa)."},
    )

    def apply(self, error):
        """Put the service's ValidationError on the form's fields (French messages)."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


@admin.register(Edition)
class EditionAdmin(FrenchTitlesMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "territory_name",
        "protocol_title",
        "deliberation_reference",
        "deliberation_date",
        "published_at",
        "published_by",
        "site_link",
    )
    list_display_links = ("number",)
    list_select_related = ("protocol__territory", "published_by")
    list_filter = ("protocol__territory",)
    search_fields = (
        "title",
        "deliberation_reference",
        "protocol__title",
        "protocol__territory__name",
    )
    ordering = ("protocol__territory__position", "protocol_id", "-number")
    fields = (
        "protocol",
        "number",
        "title",
        "deliberation_reference",
        "deliberation_date",
        "published_at",
        "published_by",
        "contents",
        "content_hash",
        "site_link",
    )
    readonly_fields = fields
    change_list_template = "admin/commitments/edition/change_list.html"

    # --- Permissions: by role; never add, change nor delete (the model refuses too) ---------

    def has_module_permission(self, request):
        return can_edit_structure(request.user)

    def has_view_permission(self, request, obj=None):
        return can_edit_structure(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The list never loads the snapshots (each a whole protocol); the change page loads
        # its one snapshot when it shows the contents (one more query).
        return (
            super()
            .get_queryset(request)
            .select_related("protocol__territory", "published_by")
            .without_snapshot()
        )

    # --- Columns and read-only fields ---------------------------------------------------------

    @admin.display(description="Protocole", ordering="protocol__title")
    def protocol_title(self, obj):
        return obj.protocol.title

    @admin.display(description="Territoire", ordering="protocol__territory__position")
    def territory_name(self, obj):
        return obj.protocol.territory.name

    @admin.display(description="Sur le site")
    def site_link(self, obj):
        return format_html(
            '<a href="{}">Voir l\'édition {} sur le site<span class="visually-hidden"> '
            "({})</span></a>",
            obj.get_absolute_url(),
            obj.number,
            obj.protocol.territory.name,
        )

    @admin.display(description="Contenu")
    def contents(self, obj):
        counts = count_items(obj.snapshot)
        return ", ".join(f"{counts[kind]} {KIND_PLURALS[kind]}" for kind in COUNTED_KINDS)

    # --- Publishing --------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "publier/",
                self.admin_site.admin_view(self.publish_view),
                name="commitments_edition_publish",
            ),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_publish": can_edit_structure(request.user)}
        return super().changelist_view(request, extra_context)

    def publish_view(self, request):
        if not can_edit_structure(request.user):
            raise PermissionDenied
        preview = None
        if request.method == "POST":
            form = PublishForm(request.POST)
            if form.is_valid():
                preview = self._preview(form.cleaned_data["protocol"])
                if not preview["differs"]:
                    form.add_error(None, preview["same_text"])
                elif "publish" in request.POST:
                    if request.POST.get("previewed_hash") != preview["hash"]:
                        form.add_error(None, CHANGED_SINCE_PREVIEW)
                    else:
                        published = self._publish(request, form)
                        if published is not None:
                            return HttpResponseRedirect(
                                reverse("admin:commitments_edition_change", args=[published.pk])
                            )
        else:
            chosen = request.GET.get("protocole", "")
            initial = {"protocol": chosen} if chosen.isdigit() and len(chosen) < 12 else {}
            form = PublishForm(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": "Publier une nouvelle édition d'un protocole",
            "opts": self.opts,
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/commitments/edition/publish.html", context)

    def _preview(self, protocol):
        """What publishing now would freeze, compared with the last edition."""
        last = Edition.objects.for_protocol(protocol).newest_first().first()
        snapshot = snapshot_of(protocol)
        digest = content_hash(snapshot)
        comparison = compare(last.snapshot, snapshot) if last else None
        return {
            "protocol": protocol,
            "last": last,
            "next_number": (last.number + 1) if last else 1,
            "hash": digest,
            "differs": last is None or last.content_hash != digest,
            "same_text": SAME_TEXT.format(number=last.number, title=last.title) if last else "",
            "comparison": comparison,
            "counts": [(CHANGE_LABELS[kind], comparison.counts[kind]) for kind in CHANGE_KINDS]
            if comparison
            else [],
            "items": [(KIND_PLURALS[kind], count) for kind, count in count_items(snapshot).items()],
        }

    def _publish(self, request, form):
        data = form.cleaned_data
        try:
            edition = publish_edition(
                data["protocol"],
                title=data["title"],
                deliberation_reference=data["deliberation_reference"],
                deliberation_date=data["deliberation_date"],
                by=request.user,
            )
        except ValidationError as error:
            form.apply(error)
            return None
        self.message_user(
            request,
            f"L'édition {edition.number} (« {edition.title} ») du protocole "
            f"« {data['protocol'].title} » est publiée. Elle ne pourra être ni modifiée ni "
            "supprimée.",
            messages.SUCCESS,
        )
        return edition
