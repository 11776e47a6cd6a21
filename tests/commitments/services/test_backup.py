"""export_protocols / import_protocols: lossless, deterministic, one transaction."""

import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from commitments.enums import Status
from commitments.models import (
    Action,
    Indicator,
    IndicatorValue,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
)
from commitments.services import backup
from commitments.services.indicator_writes import record_indicator_value
from territories.models import Territory, TerritoryMembership
from tests import factories
from tests.support.progress import report_today


def export_text():
    out = io.StringIO()
    call_command("export_protocols", stdout=out)
    return out.getvalue()


def enrich():
    """Tracking, links, updates with an author: what the seed alone does not exercise."""
    author = factories.UserFactory(username="cheffe.grigny")
    partner = factories.PartnerFactory(name="Partenaire « test »", acronym="PT")
    axis = factories.AxisFactory()
    action = Action.objects.order_by("pk").first()
    action.lead, action.start_year, action.end_year = partner, 2020, 2023
    action.save()
    action.partners.set([partner])
    action.axes.set([axis])
    oo = OperationalObjective.objects.order_by("-pk").first()
    oo.partners.set([partner])
    StrategicObjective.objects.order_by("pk").first().axes.set([axis])
    report_today(
        action, Status.IN_PROGRESS, 35, author=author, comment="Réunion « lancement » — 1ʳᵉ étape"
    )
    factories.ProgressUpdateFactory(
        action=None, operational_objective=oo, author=None, status="realise", progress=100
    )
    indicator = Indicator.objects.get(definition__code="scolarisation-moins-3-ans")
    factories.IndicatorValueFactory(
        indicator=indicator, year=2019, value=Decimal("41"), comment="Rentrée", author=author
    )
    definition = indicator.definition
    definition.decimals = 2
    definition.save()
    record_indicator_value(indicator, year=2020, value=Decimal("42.25"), by=None)
    Protocol.objects.filter(pk=Protocol.objects.order_by("pk").first().pk).update(
        deliberation_date=timezone.localdate(),
        last_changed_at=timezone.now().replace(microsecond=123456),
    )
    return action, author


@pytest.mark.django_db(transaction=True)
class TestRoundTrip:
    def test_export_empty_database_import_export_is_identical(self, seeded, tmp_path):
        action, author = enrich()
        first = export_text()
        data = json.loads(first)
        assert data["format"] == backup.FORMAT
        assert data["counts"]["commitments.progressupdate"] == 2
        assert data["counts"]["commitments.indicator"] == 11
        assert data["counts"]["commitments.indicatorvalue"] == 4
        update = next(o for o in data["objects"] if o["model"] == "commitments.progressupdate")
        assert update["fields"]["author"] == ["cheffe.grigny"]
        assert "password" not in first

        path = tmp_path / "sauvegarde.json"
        path.write_text(first, encoding="utf-8")
        call_command("flush", interactive=False, verbosity=0)
        assert backup.is_empty() and not get_user_model().objects.exists()

        out = io.StringIO()
        call_command("import_protocols", str(path), stdout=out)
        assert "cheffe.grigny" in out.getvalue()  # reported as created, password to reset
        second = export_text()
        assert second == first

        # What the file carried, checked in the database itself.
        restored = Action.objects.get(pk=action.pk)
        assert (restored.status, restored.progress, restored.version) == (
            action.status,
            action.progress,
            action.version,
        )
        assert list(restored.partners.values_list("acronym", flat=True)) == ["PT"]
        user = get_user_model().objects.get(username="cheffe.grigny")
        assert user.is_active and not user.has_usable_password()
        assert ProgressUpdate.objects.get(action=restored).author == user
        assert Protocol.objects.order_by("pk").first().last_changed_at.microsecond == 123456
        values = IndicatorValue.objects.filter(
            indicator__definition__code="scolarisation-moins-3-ans"
        )
        assert [(v.year, v.value, v.author) for v in values.order_by("year")] == [
            (2015, 7, None),
            (2017, 35, None),
            (2019, 41, user),
            (2020, Decimal("42.25"), None),
        ]

        # Sequences follow the imported ids (PostgreSQL): new rows get fresh ids.
        new = factories.ActionFactory(
            operational_objective=restored.operational_objective, position=10_000
        )
        assert new.pk > max(o["pk"] for o in data["objects"] if o["model"] == "commitments.action")

    def test_refuses_a_non_empty_database_unless_replace(self, seeded, tmp_path):
        path = tmp_path / "sauvegarde.json"
        path.write_text(export_text(), encoding="utf-8")
        lead = factories.UserFactory(username="lead.grigny")
        TerritoryMembership.objects.create(
            user=lead, territory=Territory.objects.get(slug="grigny")
        )
        action = Action.objects.order_by("pk").first()
        report_today(action, Status.IN_PROGRESS, 77)

        with pytest.raises(CommandError, match="--replace"):
            call_command("import_protocols", str(path))
        assert Action.objects.get(pk=action.pk).progress == 77  # untouched

        call_command("import_protocols", str(path), "--replace", stdout=io.StringIO())
        assert Action.objects.get(pk=action.pk).progress != 77  # back to the file
        # An account created after the backup is never deleted, nor its memberships: the rest
        # is the file.
        assert TerritoryMembership.objects.filter(user=lead, territory__slug="grigny").exists()
        TerritoryMembership.objects.filter(user=lead).delete()
        lead.delete()
        assert export_text() == path.read_text(encoding="utf-8")
        self.check_broken_file_changes_nothing(tmp_path)

    def check_broken_file_changes_nothing(self, tmp_path):
        data = json.loads(export_text())
        # A progress update pointing to an action that does not exist: fails at the very end.
        data["objects"].append(
            {
                "model": "commitments.progressupdate",
                "pk": 99999,
                "fields": {
                    "action": 99999,
                    "operational_objective": None,
                    "date": "2024-01-01",
                    "status": "en_cours",
                    "progress": 10,
                    "comment": "",
                    "link": "",
                    "author": None,
                    "created_at": "2024-01-01T00:00:00+00:00",
                },
            }
        )
        path = tmp_path / "cassee.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        before = export_text()
        with pytest.raises(Exception):  # noqa: B017 - IntegrityError from either database
            call_command("import_protocols", str(path), "--replace", stdout=io.StringIO())
        assert export_text() == before  # one transaction: rolled back entirely


@pytest.mark.django_db
class TestBadFiles:
    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("pas du json", "n'est pas un fichier JSON valide"),
            ('{"format": "autre"}', "n'est pas une sauvegarde des protocoles"),
            ('{"format": "perer-protocoles", "version": 9, "objects": []}', "Version"),
            (
                '{"format": "perer-protocoles", "version": 1, '
                '"objects": [{"model": "auth.user", "pk": 1, "fields": {}}]}',
                "Objets inattendus",
            ),
        ],
    )
    def test_clear_message(self, tmp_path, content, message):
        path = tmp_path / "fichier.json"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(CommandError, match=message):
            call_command("import_protocols", str(path), "--replace")

    def test_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="Lecture impossible"):
            call_command("import_protocols", str(tmp_path / "absent.json"))

    def test_export_to_a_file(self, tmp_path):
        path = tmp_path / "sortie.json"
        call_command("export_protocols", "-o", str(path), stderr=io.StringIO())
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["counts"]["territories.territory"] == Territory.objects.count()
