"""Two staff members publishing the same protocol at the same moment
(services/editions.publish_edition locks the protocol's row): exactly one edition is created,
the other publication waits, then finds the text already published and is refused in French."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from commitments.models import Edition
from commitments.services.editions import publish_edition
from tests import factories


def publish_twice_at_once(protocol):
    """Two threads (two connections) publish `protocol` at the same instant: their outcomes."""
    barrier = threading.Barrier(2)
    outcomes = []

    def publish():
        try:
            barrier.wait(5)
            edition = publish_edition(
                protocol,
                title="Avenant",
                deliberation_reference="",
                deliberation_date=None,
                by=None,
            )
            outcomes.append(("publiée", edition.number))
        except ValidationError as error:
            outcomes.append(("refusée", " ".join(error.messages)))
        except Exception as error:  # noqa: BLE001 - any other failure is the bug looked for
            outcomes.append(("erreur", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.postgres_only(reason="row locks (select_for_update) between two connections")
@pytest.mark.django_db(transaction=True)
def test_two_publications_at_once_give_one_edition():
    action = factories.ActionFactory()
    protocol = action.operational_objective.strategic_objective.section.protocol
    for campaign_ in range(3):
        action.text = f"Texte {campaign_}"
        action.save()
        outcomes = publish_twice_at_once(protocol)
        assert sorted(kind for kind, _ in outcomes) == ["publiée", "refusée"], outcomes
        refused = next(detail for kind, detail in outcomes if kind == "refusée")
        assert "identique à celui de l'édition" in refused
    numbers = Edition.objects.for_protocol(protocol).values_list("number", flat=True)
    assert list(numbers) == [1, 2, 3]
