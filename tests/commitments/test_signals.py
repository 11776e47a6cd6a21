"""Any change in a protocol's tree marks the protocol as changed (signals.py): its pages and
PDF are then rendered again."""

import pytest

from commitments.enums import Status
from tests.factories import ActionFactory
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db


class TestLastChanged:
    def test_edit_in_tree_touches_protocol(self):
        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        before = protocol.last_changed_at
        action.start_year = 2021
        action.save()
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_a_progress_update_touches_protocol(self):
        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        before = protocol.last_changed_at
        report_today(action, Status.IN_PROGRESS, 10)
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_delete_touches_protocol(self):
        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        before = protocol.last_changed_at
        action.delete()
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_partner_link_touches_protocol(self):
        from tests.factories import PartnerFactory

        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        before = protocol.last_changed_at
        action.partners.add(PartnerFactory())
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before
