"""The bulk status action of the admin lists (admin/update_admin.py, services/progress_rule.py):
history, protocol touched, a lead's rows only."""

import pytest

from commitments.models import Action, Protocol
from commitments.services.progress_rule import bulk_set_status
from tests import factories
from tests.support.admin import admin_url, build_tree, client_for, corbeil, grigny, make_user

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
class TestBulkStatus:
    def test_action_sets_status_with_history_and_touch(self):
        tree = build_tree(grigny())
        other = factories.ActionFactory(operational_objective=tree["oo"], position=2)
        partner = factories.PartnerFactory()
        other.partners.add(partner)
        protocol = tree["protocol"]
        Protocol.objects.filter(pk=protocol.pk).update(last_changed_at="2000-01-01T00:00Z")
        user = make_user("agglomeration")
        response = client_for(user).post(
            admin_url(Action, "changelist"),
            {
                "action": "set_status",
                "status": "en_cours",
                "_selected_action": [tree["action"].pk, other.pk],
            },
        )
        assert response.status_code == 302
        for action in (tree["action"], other):
            before = action.version
            action.refresh_from_db()
            assert action.status == "en_cours"
            assert action.version == before + 1
            latest = action.history.order_by("-history_date", "-history_id").first()
            assert latest.history_user == user and latest.status == "en_cours"
        # The history keeps the partners (no false "partner removed" in the diff).
        latest = other.history.order_by("-history_date", "-history_id").first()
        assert list(latest.partners.values_list("partner_id", flat=True)) == [partner.pk]
        protocol.refresh_from_db()
        assert protocol.last_changed_at.year > 2000

    def test_lead_changes_only_own_territory(self):
        mine, theirs = build_tree(grigny())["action"], build_tree(corbeil())["action"]
        lead = make_user("grigny_lead")
        response = client_for(lead).post(
            admin_url(Action, "changelist"),
            {"action": "set_status", "status": "prevu", "_selected_action": [mine.pk, theirs.pk]},
            follow=True,
        )
        assert "1 élément(s) d&#x27;un autre territoire" in response.content.decode()
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert mine.status == "prevu"
        assert theirs.status == "non_renseigne"

    def test_missing_status_changes_nothing(self):
        action = build_tree(grigny())["action"]
        response = client_for(make_user("agglomeration")).post(
            admin_url(Action, "changelist"),
            {"action": "set_status", "status": "", "_selected_action": [action.pk]},
            follow=True,
        )
        assert "Choisissez le nouveau statut" in response.content.decode()
        action.refresh_from_db()
        assert action.status == "non_renseigne"

    def test_service_runs_in_constant_queries(self, django_assert_max_num_queries):
        tree = build_tree(grigny())
        for position in range(2, 30):
            factories.ActionFactory(operational_objective=tree["oo"], position=position)
        user = make_user("agglomeration")
        queryset = Action.objects.filter(operational_objective=tree["oo"])
        with django_assert_max_num_queries(14):
            changed, refused = bulk_set_status(queryset, "realise", user)
        assert (changed, refused) == (29, 0)
        # Already at that status: nothing to write.
        assert bulk_set_status(queryset, "realise", user) == (0, 0)
