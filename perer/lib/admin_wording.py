"""French titles for the admin pages of every app (perer.lib is below them all), with the
articles Django cannot compose.

Django builds "Modification de action", "Sélectionnez l'objet action à changer", "Ajouter un
objet Action supplémentaire" from a model's verbose name alone. `FrenchTitlesMixin` gives
every page of a ModelAdmin a title that reads naturally instead ("Modifier l'action « … »",
"Choisissez une action à modifier", "Ajouter une action"), from the model's verbose name and
its grammatical gender declared here (masculine unless listed).
"""

import json
import re
from typing import TYPE_CHECKING, Any

from django.contrib.admin.utils import unquote
from django.utils.safestring import SafeData, mark_safe
from django.utils.text import Truncator, capfirst

if TYPE_CHECKING:  # what FrenchTitlesMixin is mixed into (a plain class at run time)
    from django.contrib.admin import ModelAdmin

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

# Verbose names (singular) of feminine nouns.
FEMININE = {
    "action",
    "section thématique",
    "thématique",
    "campagne de suivi",
    "édition",
    "notification",
    "tâche en arrière-plan",
    "définition d'indicateur",
    "valeur d'indicateur",
}
TITLE_OBJECT_LENGTH = 80


def indefinite(name):
    """« une action », « un objectif stratégique »."""
    return f"{'une' if name in FEMININE else 'un'} {name}"


def definite(name):
    """« l'action », « le protocole », « la thématique »."""
    if name[:1].lower() in "aeéèêiîoôuhœ":
        return f"l'{name}"
    return f"{'la' if name in FEMININE else 'le'} {name}"


def another(name):
    """« une autre action », « un autre protocole »."""
    return f"{'une autre' if name in FEMININE else 'un autre'} {name}"


def of_definite(name):
    """« de l'action », « du protocole », « de la thématique »."""
    article = definite(name)
    return f"du {name}" if article.startswith("le ") else f"de {article}"


def quoted(obj):
    return f"« {Truncator(str(obj)).chars(TITLE_OBJECT_LENGTH)} »"


def delete_title(opts, obj, refused):
    if refused:
        return f"Impossible de supprimer {definite(str(opts.verbose_name))} {quoted(obj)}"
    return f"Supprimer {definite(str(opts.verbose_name))} {quoted(obj)} ?"


def plural_participle(opts, participle):
    """« actions supprimées », « objectifs supprimés »."""
    ending = "es" if str(opts.verbose_name) in FEMININE else "s"
    return f"{capfirst(str(opts.verbose_name_plural))} {participle}{ending}"


def list_title(opts, can_change):
    verb = "modifier" if can_change else "consulter"
    return f"Choisissez {indefinite(str(opts.verbose_name))} à {verb}"


def add_title(opts):
    return f"Ajouter {indefinite(str(opts.verbose_name))}"


def change_title(opts, obj, can_change):
    verb = "Modifier" if can_change else "Consulter"
    return f"{verb} {definite(str(opts.verbose_name))} {quoted(obj)}"


def history_title(opts, obj):
    return f"Historique {of_definite(str(opts.verbose_name))} {quoted(obj)}"


def version_title(opts, obj, can_revert):
    verb = "Rétablir" if can_revert else "Consulter"
    return f"{verb} une version {of_definite(str(opts.verbose_name))} {quoted(obj)}"


def inline_formset_data(inline_admin_formset):
    """The data of inlines.js with a French "add" link: « Ajouter une action »."""
    formset = inline_admin_formset.formset
    name = str(inline_admin_formset.opts.verbose_name)
    return json.dumps(
        {
            "name": f"#{formset.prefix}",
            "options": {
                "prefix": formset.prefix,
                "addText": capfirst(f"ajouter {indefinite(name)}"),
                "deleteText": "Retirer",
            },
        }
    )


def saved_message(opts, message):
    """Django's « L’objet action « … » a été modifié avec succès. Vous pouvez l’éditer à
    nouveau ci-dessous. » as « L'action « … » a été modifiée. Vous pouvez la modifier à nouveau
    ci-dessous. » (other messages unchanged, safe ones kept safe)."""
    if not isinstance(message, str):
        return message
    name = str(opts.verbose_name)
    head = re.match(
        rf"L[’']objet {re.escape(name)}\s(«.*»)\sa été (ajouté|modifié|supprimé) avec succès\.",
        message,
        re.S,
    )
    if head is None:
        return message
    feminine = name in FEMININE
    participle = head.group(2) + ("e" if feminine else "")
    text = f"{capfirst(definite(name))} {head.group(1)} a été {participle}."
    rest = message[head.end() :]
    if "ajouter un autre objet" in rest:
        text += f" Vous pouvez ajouter {another(name)} ci-dessous."
    elif "nouveau ci-dessous" in rest:
        text += f" Vous pouvez {'la' if feminine else 'le'} modifier à nouveau ci-dessous."
    return mark_safe(text) if isinstance(message, SafeData) else text


class FrenchTitlesMixin(_ModelAdminBase):
    """ModelAdmin mixin: the titles of the list, add, change, view, delete and history pages,
    the messages after a save or a deletion and the "add" link of each inline, worded as
    above."""

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": list_title(self.opts, self.has_change_permission(request)),
            "add_label": add_title(self.opts),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history's admins title their history page themselves
        # (history_view_title); Django's own history page is titled here.
        if not hasattr(self, "history_view_title"):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                extra_context = {"title": history_title(self.opts, obj), **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def message_user(self, request, message, *args, **kwargs):
        super().message_user(request, saved_message(self.opts, message), *args, **kwargs)

    def render_delete_form(self, request, context):
        obj = context.get("object")
        if obj is not None:
            refused = bool(context.get("perms_lacking") or context.get("protected"))
            context["title"] = delete_title(self.opts, obj, refused)
        return super().render_delete_form(request, context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if add:
            context["title"] = add_title(self.opts)
        elif obj is not None:
            context["title"] = change_title(
                self.opts, obj, self.has_change_permission(request, obj)
            )
            context["subtitle"] = None  # the title names the object already
        context["add_another_label"] = (
            f"Enregistrer et ajouter {another(str(self.opts.verbose_name))}"
        )
        for inline_admin_formset in context.get("inline_admin_formsets", []):
            # The template calls it without arguments: an instance attribute replaces the method.
            inline_admin_formset.inline_formset_data = lambda formset=inline_admin_formset: (
                inline_formset_data(formset)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
