"""perer/lib/admin_ordering.py: the "Monter" / "Descendre" buttons of lists ordered as a whole,
here the thematics' (who may use them, on the territories' list:
tests/territories/test_admin.py)."""

import pytest
from django.contrib import messages
from django.urls import reverse

from commitments.models import Thematic
from perer.lib.admin_ordering import moved_message

pytestmark = pytest.mark.django_db

REORDER = "admin:commitments_thematic_reorder"


def test_the_messages_say_where_the_row_went():
    assert moved_message("Emploi", "Santé", "monter") == (
        "Ordre modifié : « Emploi » passe avant « Santé ».",
        messages.SUCCESS,
    )
    assert moved_message("Emploi", "Santé", "descendre")[0].endswith("passe après « Santé ».")
    assert moved_message("Emploi", None, "monter") == (
        "« Emploi » est déjà en première position.",
        messages.INFO,
    )
    assert moved_message("Emploi", None, "descendre")[0].endswith("en dernière position.")


def test_the_moved_row_keeps_the_focus_to_move_again(agglo_client):
    first, second = Thematic.objects.order_by("position", "pk")[:2]
    response = agglo_client.post(reverse(REORDER), {"deplacer": f"{second.pk}:monter"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?deplace={second.pk}-monter")
    page = agglo_client.get(response["Location"]).content.decode()
    assert f"« {second} » passe avant « {first} »" in page
    assert f'id="deplacer-{second.pk}-monter" class="reorder-button" autofocus' in page
    assert list(Thematic.objects.order_by("position", "pk")[:2]) == [second, first]


@pytest.mark.parametrize("posted", ["abc:monter", "999999:monter", "1:sideways", "", "1:"])
def test_an_unknown_row_or_direction_is_a_message(agglo_client, posted):
    before = list(Thematic.objects.order_by("position", "pk"))
    response = agglo_client.post(reverse(REORDER), {"deplacer": posted}, follow=True)
    assert response.status_code == 200
    assert "Élément à déplacer inconnu." in response.content.decode()
    assert list(Thematic.objects.order_by("position", "pk")) == before


def test_moving_is_posted_only(agglo_client):
    assert agglo_client.get(reverse(REORDER)).status_code == 405
