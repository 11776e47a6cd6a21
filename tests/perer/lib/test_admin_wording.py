"""perer/lib/admin_wording.py: French admin titles with the right articles."""

import json
from types import SimpleNamespace

import pytest
from django.utils.html import format_html
from django.utils.safestring import SafeData

from commitments.models import Action, OperationalObjective, Protocol, Thematic, TransversalAxis
from perer.lib.admin_wording import (
    add_title,
    change_title,
    definite,
    history_title,
    indefinite,
    inline_formset_data,
    list_title,
    of_definite,
    plural_participle,
    saved_message,
    version_title,
)


class Named:
    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


@pytest.mark.parametrize(
    ("name", "a", "the", "of_the"),
    [
        ("action", "une action", "l'action", "de l'action"),
        ("protocole", "un protocole", "le protocole", "du protocole"),
        ("thématique", "une thématique", "la thématique", "de la thématique"),
        ("objectif stratégique", "un objectif stratégique", "l'objectif stratégique", None),
        ("axe transversal", "un axe transversal", "l'axe transversal", "de l'axe transversal"),
        ("section thématique", "une section thématique", "la section thématique", None),
        ("point d'avancement", "un point d'avancement", "le point d'avancement", None),
        ("territoire", "un territoire", "le territoire", "du territoire"),
    ],
)
def test_articles(name, a, the, of_the):
    assert (indefinite(name), definite(name)) == (a, the)
    if of_the:
        assert of_definite(name) == of_the


def test_page_titles():
    action, protocol = Action._meta, Protocol._meta
    assert list_title(action, can_change=True) == "Choisissez une action à modifier"
    assert list_title(protocol, can_change=False) == "Choisissez un protocole à consulter"
    assert add_title(OperationalObjective._meta) == "Ajouter un objectif opérationnel"
    assert change_title(action, Named("Créer"), True) == "Modifier l'action « Créer »"
    assert change_title(Thematic._meta, Named("Emploi"), False) == (
        "Consulter la thématique « Emploi »"
    )
    assert history_title(protocol, Named("P")) == "Historique du protocole « P »"
    assert version_title(action, Named("X"), True) == "Rétablir une version de l'action « X »"
    assert version_title(action, Named("X"), False) == "Consulter une version de l'action « X »"
    assert plural_participle(action, "supprimé") == "Actions supprimées"
    assert plural_participle(TransversalAxis._meta, "supprimé") == "Axes transversaux supprimés"


def test_long_objects_are_shortened_in_titles():
    title = change_title(Action._meta, Named("mot " * 100), True)
    assert len(title) < 110 and title.endswith("… »")


def test_the_add_link_of_an_inline():
    formset = SimpleNamespace(
        formset=SimpleNamespace(prefix="actions"), opts=SimpleNamespace(verbose_name="action")
    )
    data = json.loads(inline_formset_data(formset))
    assert data == {
        "name": "#actions",
        "options": {"prefix": "actions", "addText": "Ajouter une action", "deleteText": "Retirer"},
    }


@pytest.mark.parametrize(
    ("opts", "django", "ours"),
    [
        (
            Action._meta,
            "L'objet action « A » a été ajouté avec succès.",
            "L'action « A » a été ajoutée.",
        ),
        (
            Action._meta,
            "L’objet action « A » a été modifié avec succès. Vous pouvez l’éditer à nouveau "
            "ci-dessous.",
            "L'action « A » a été modifiée. Vous pouvez la modifier à nouveau ci-dessous.",
        ),
        (
            Protocol._meta,
            "L’objet protocole « P » a été ajouté avec succès. Vous pouvez ajouter un autre "
            "objet « protocole » ci-dessous.",
            "Le protocole « P » a été ajouté. Vous pouvez ajouter un autre protocole ci-dessous.",
        ),
        (
            Thematic._meta,
            "L’objet thématique « T » a été supprimé avec succès.",
            "La thématique « T » a été supprimée.",
        ),
        (Action._meta, "Autre message.", "Autre message."),
    ],
)
def test_messages_after_a_save(opts, django, ours):
    assert saved_message(opts, django) == ours


def test_a_safe_message_stays_safe_and_escaped():
    django = format_html(
        'L’objet action « <a href="{}">{}</a> » a été modifié avec succès.', "/x/", "<b>"
    )
    ours = saved_message(Action._meta, django)
    assert isinstance(ours, SafeData)
    assert ours == 'L\'action « <a href="/x/">&lt;b&gt;</a> » a été modifiée.'


def test_every_admin_of_the_portal_titles_its_pages_in_french():
    """Every ModelAdmin of the portal's own models and of the pages staff use daily (users,
    background jobs) has the French titles; only third-party logs keep Django's."""
    from django.contrib import admin

    from perer.lib.admin_wording import FrenchTitlesMixin

    ours = {"commitments", "territories", "auth", "django_tasks_database"}
    missing = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ours and not isinstance(model_admin, FrenchTitlesMixin)
    ]
    assert missing == []
