"""Editions in export_protocols / import_protocols (commitments/services/backup.py): carried
losslessly (publisher by username, snapshot, hash), restored into an empty database despite
their immutability, and never altered nor deleted by an import (--replace included)."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from commitments.models import Action, Edition, EditionImmutable, Protocol
from commitments.services import backup
from commitments.services.editions import content_hash, publish_edition
from tests.support.admin import make_user

EDITION = "commitments.edition"
REFUSED = "Les éditions publiées ne peuvent être ni modifiées ni supprimées"


def export_text():
    out = io.StringIO()
    call_command("export_protocols", stdout=out)
    return out.getvalue()


def publish_amendment(by):
    """Edition 2 of Grigny, after rewording one of its actions."""
    action = Action.objects.filter(
        operational_objective__strategic_objective__section__protocol__territory__slug="grigny"
    ).first()
    action.text = "Texte modifié par l'avenant « n° 1 »"
    action.save()
    return publish_edition(
        Protocol.objects.get(territory__slug="grigny"),
        title="Avenant n° 1",
        deliberation_reference="Del 2024 0042",
        deliberation_date=None,
        by=by,
    )


@pytest.mark.django_db(transaction=True)
def test_round_trip_into_an_empty_database(seeded, tmp_path, fast_password_hasher):
    publisher = make_user("agglomeration", username="agent.agglo")
    amendment = publish_amendment(publisher)
    first = export_text()
    data = json.loads(first)
    assert data["counts"][EDITION] == 8
    item = next(o for o in data["objects"] if o["model"] == EDITION and o["pk"] == amendment.pk)
    assert item["fields"]["published_by"] == ["agent.agglo"]
    assert item["fields"]["snapshot"] == amendment.snapshot
    assert item["fields"]["content_hash"] == amendment.content_hash

    path = tmp_path / "sauvegarde.json"
    path.write_text(first, encoding="utf-8")
    call_command("flush", interactive=False, verbosity=0)
    out = io.StringIO()
    call_command("import_protocols", str(path), stdout=out)
    assert "agent.agglo" in out.getvalue()  # the publisher, recreated inactive
    assert export_text() == first

    restored = Edition.objects.get(pk=amendment.pk)
    assert restored.published_by == get_user_model().objects.get(username="agent.agglo")
    assert (restored.number, restored.title, restored.published_at) == (
        2,
        "Avenant n° 1",
        amendment.published_at,
    )
    assert restored.snapshot == amendment.snapshot
    assert content_hash(restored.snapshot) == restored.content_hash
    # Still immutable once restored.
    with pytest.raises(EditionImmutable):
        restored.delete()


@pytest.mark.django_db
class TestReplace:
    def file_with(self, tmp_path, change):
        data = backup.export_data()
        data = json.loads(backup.dumps(data))
        change([o for o in data["objects"] if o["model"] == EDITION], data)
        path = tmp_path / "sauvegarde.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path

    def stored(self):
        return list(Edition.objects.order_by("pk").values_list("pk", "title", "content_hash"))

    def test_a_file_with_the_same_editions_replaces_the_data(self, tmp_path):
        path = self.file_with(tmp_path, lambda editions, data: None)
        before = self.stored()
        call_command("import_protocols", str(path), "--replace", stdout=io.StringIO())
        assert self.stored() == before

    def test_an_altered_edition_is_refused(self, tmp_path):
        def alter(editions, data):
            editions[0]["fields"]["title"] = "Texte réécrit"
            editions[1]["fields"]["snapshot"]["protocol"]["preamble"] = "Autre préambule"

        before, text = self.stored(), export_text()
        path = self.file_with(tmp_path, alter)
        with pytest.raises(CommandError, match=REFUSED) as raised:
            call_command("import_protocols", str(path), "--replace")
        assert "grand-paris-sud n° 1" in str(raised.value)
        assert self.stored() == before
        assert export_text() == text

    def test_a_file_without_an_edition_of_the_database_is_refused(self, tmp_path):
        def drop(editions, data):
            data["objects"].remove(editions[-1])

        before = self.stored()
        path = self.file_with(tmp_path, drop)
        with pytest.raises(CommandError, match=REFUSED):
            call_command("import_protocols", str(path), "--replace")
        assert self.stored() == before

    def test_an_edition_published_after_the_backup_is_kept_by_refusing(self, tmp_path):
        path = self.file_with(tmp_path, lambda editions, data: None)
        amendment = publish_amendment(make_user("agglomeration"))
        with pytest.raises(CommandError, match="grigny n° 2"):
            call_command("import_protocols", str(path), "--replace")
        assert Edition.objects.filter(pk=amendment.pk).exists()
