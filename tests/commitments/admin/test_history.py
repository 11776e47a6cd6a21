"""History of changes in the admin (admin/history.py): who changed what, and revert, which keeps
the version growing and is refused when the page is stale. The `agglo` and `agglo_client`
fixtures are in tests/conftest.py."""

import pytest

from commitments.models import Action, TransversalAxis
from tests import factories
from tests.support.admin import (
    admin_url,
    build_tree,
    changeform_data,
    first_version_url,
    grigny,
)

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
class TestHistory:
    def test_change_through_admin_writes_who_and_what(self, agglo, agglo_client):
        action = build_tree(grigny())["action"]
        before = action.history.count()
        data = changeform_data(agglo_client.get(admin_url(Action, "change", action.pk)))
        lead = factories.PartnerFactory()
        # Status and progress are not on the form (they follow the progress updates): the
        # tracking fields a form does change are recorded.
        data.update(pilot=str(lead.pk), start_year="2021", end_year="2023")
        assert agglo_client.post(admin_url(Action, "change", action.pk), data).status_code == 302
        latest = action.history.order_by("-history_date", "-history_id").first()
        assert action.history.count() > before
        assert latest.history_user == agglo
        assert (latest.pilot_id, latest.start_year, latest.end_year) == (lead.pk, 2021, 2023)
        delta = latest.diff_against(action.history.filter(version=1).first())
        assert {"pilot", "start_year", "end_year"} <= {change.field for change in delta.changes}

        page = agglo_client.get(admin_url(Action, "history", action.pk)).content.decode()
        assert agglo.username in page

    def test_revert_restores_a_previous_version_and_records_it(self, agglo, agglo_client):
        action = build_tree(grigny())["action"]
        original_text = action.text
        action.text = "Texte modifié par erreur"
        action.save()
        revert_url = first_version_url(action)
        data = changeform_data(agglo_client.get(revert_url))
        assert data["text"] == original_text
        response = agglo_client.post(revert_url, data)
        assert response.status_code == 302
        action.refresh_from_db()
        assert action.text == original_text
        assert action.version == 3  # 1 → 2 (the mistake) → 3 (the revert): never backwards
        latest = action.history.order_by("-history_date", "-history_id").first()
        assert latest.history_user == agglo
        assert latest.text == original_text

    def test_stale_revert_is_refused(self, agglo_client):
        action = build_tree(grigny())["action"]
        action.text = "Deuxième version"
        action.save()
        revert_url = first_version_url(action)
        data = changeform_data(agglo_client.get(revert_url))
        action.text = "Troisième version, écrite entre-temps"
        action.save()
        response = agglo_client.post(revert_url, data)
        assert response.status_code == 200
        action.refresh_from_db()
        assert action.text == "Troisième version, écrite entre-temps"


@pytest.mark.django_db
def test_a_progress_update_s_version_page_opens(agglo_client):
    """A progress update has a status and a progress of its own (not the rule's): its version
    page opens and its revert form shows the recorded values."""
    from commitments.enums import Status
    from tests.support.progress import report_days_ago

    update = report_days_ago(build_tree(grigny())["action"], 3, Status.PLANNED, 20)
    response = agglo_client.get(first_version_url(update))
    assert response.status_code == 200
    assert response.context["adminform"].form["progress"].value() == 20


def changed_versions(action):
    """An action with versions changing its text, its pilot, its partners and its axes (one
    partner deleted since), newest first."""
    partners = [factories.PartnerFactory() for _ in range(3)]
    axis = TransversalAxis.objects.exclude(pk__in=action.axes.all()).first()
    steps = [
        lambda: action.partners.set(partners[:2]),
        lambda: setattr(action, "text", "Texte revu"),
        lambda: action.axes.add(axis),
        lambda: action.partners.set(partners[1:]),
        lambda: setattr(action, "pilot", partners[0]),
    ]
    for step in steps:
        step()
        action.save()
    partners[2].delete()
    return list(action.history.order_by("-history_date", "-history_id"))


@pytest.mark.django_db
@pytest.mark.parametrize("foreign_keys_are_objs", [True, False])
def test_the_page_s_deltas_are_django_simple_history_s(agglo, foreign_keys_are_objs):
    """HistoryAdmin reads the many-to-many rows once per page: the same deltas as the
    library's, which reads them twice per version."""
    from django.contrib import admin
    from django.test import RequestFactory
    from simple_history.admin import SimpleHistoryAdmin

    action = build_tree(grigny())["action"]
    request = RequestFactory().get("/")
    request.user = agglo
    model_admin = admin.site._registry[Action]
    ours, theirs = (
        changed_versions(action),
        list(action.history.order_by("-history_date", "-history_id")),
    )
    model_admin.set_history_delta_changes(request, ours, foreign_keys_are_objs)
    SimpleHistoryAdmin.set_history_delta_changes(
        model_admin, request, theirs, foreign_keys_are_objs
    )
    assert len(ours) >= 6
    expected = [getattr(record, "history_delta_changes", None) for record in theirs]
    assert [getattr(record, "history_delta_changes", None) for record in ours] == expected
    fields = {str(change["field"]) for changes in expected if changes for change in changes}
    assert {"Partenaires", "Axes transversaux", "Intitulé", "Pilote"} <= fields, fields


@pytest.mark.django_db
def test_the_history_page_s_queries_are_constant(agglo_client, django_assert_max_num_queries):
    action = build_tree(grigny())["action"]
    url = admin_url(Action, "history", action.pk)
    changed_versions(action)
    agglo_client.get(url)
    with django_assert_max_num_queries(100) as few:
        assert agglo_client.get(url).status_code == 200
    changed_versions(action)
    changed_versions(action)
    with django_assert_max_num_queries(100) as many:
        assert agglo_client.get(url).status_code == 200
    assert len(few) == len(many)
