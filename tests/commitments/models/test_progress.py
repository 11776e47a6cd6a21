"""What makes a progress update valid (models/progress.py ProgressUpdate.clean and the fields'
validators), written once for every path: a date neither in the future nor before the
protocol's period, progress 0–100, "réalisé" at 100 %, never "non renseigné" for a new update,
a comment of at most 2000 characters, an http(s) link."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from commitments.enums import Status
from commitments.models import ProgressUpdate, progress_for
from commitments.models.progress import COMMENT_MAX_LENGTH, EARLIEST_DATE, earliest_date
from tests.factories import ActionFactory, OperationalObjectiveFactory, ProtocolFactory
from tests.support.progress import PROTOCOL_START, VALID_UPDATE, bad_update_params, report

pytestmark = pytest.mark.django_db


def new_update(target=None, **fields):
    target = target or ActionFactory()
    field = "action" if target.kind == "action" else "operational_objective"
    values = {**VALID_UPDATE, "date": timezone.localdate(), **fields}
    return ProgressUpdate(**{field: target}, **values)


class TestValidUpdates:
    @pytest.mark.parametrize("factory", [ActionFactory, OperationalObjectiveFactory])
    def test_a_valid_update(self, factory):
        new_update(factory()).full_clean()

    @pytest.mark.parametrize(
        "fields",
        [
            {"date": PROTOCOL_START},  # the first day of the period
            {"status": Status.DONE, "progress": 100},
            {"status": Status.ABANDONED, "progress": 0},
            {"link": "http://example.org/compte-rendu"},
            {"link": "https://example.org/compte-rendu?a=1&b=2"},
            {"comment": "x" * COMMENT_MAX_LENGTH},
        ],
    )
    def test_limits_that_are_accepted(self, fields):
        new_update(**fields).full_clean()

    def test_a_date_is_required(self):
        with pytest.raises(ValidationError) as refused:
            new_update(date=None).full_clean()
        assert "date" in refused.value.message_dict

    def test_an_existing_update_may_keep_not_reported(self):
        """Only a *new* update cannot be "non renseigné": an old one stays editable."""
        action = ActionFactory()
        old = report(action, datetime.date(2020, 5, 1), Status.NOT_REPORTED, 0)
        old.comment = "Commentaire corrigé"
        old.full_clean()

    def test_the_period_is_the_protocols(self):
        assert earliest_date(ProtocolFactory(start_year=2024, end_year=2026)) == datetime.date(
            2024, 1, 1
        )
        assert earliest_date(ProtocolFactory(start_year=None)) == EARLIEST_DATE
        assert earliest_date(None) == EARLIEST_DATE
        protocol = ProtocolFactory(start_year=2024, end_year=2026)
        action = ActionFactory(
            operational_objective__strategic_objective__section__protocol=protocol
        )
        with pytest.raises(ValidationError, match="à partir du 01/01/2024"):
            new_update(action, date=datetime.date(2023, 12, 31)).full_clean()

    def test_a_new_update_is_not_a_confirmation_by_default(self):
        assert new_update().confirmation is False


class TestInvalidUpdates:
    @pytest.mark.parametrize(("changes", "field", "message"), bad_update_params())
    def test_refused_next_to_its_field_with_a_french_message(self, changes, field, message):
        with pytest.raises(ValidationError) as refused:
            new_update(**changes).full_clean()
        errors = refused.value.message_dict
        assert set(errors) == {field}, errors
        assert any(message in text for text in errors[field]), errors

    @pytest.mark.parametrize(
        "link", ["ftp://example.org/fichier", "data:text/html,<b>x</b>", "//example.org"]
    )
    def test_only_web_links(self, link):
        with pytest.raises(ValidationError) as refused:
            new_update(link=link).full_clean()
        assert set(refused.value.message_dict) == {"link"}

    def test_every_error_at_once(self):
        with pytest.raises(ValidationError) as refused:
            new_update(
                date=datetime.date(9999, 12, 31),
                status=Status.DONE,
                progress=40,
                link="javascript:alert(1)",
                comment="x" * 2001,
            ).full_clean()
        assert set(refused.value.message_dict) == {"date", "progress", "link", "comment"}


@pytest.mark.parametrize(
    ("status", "progress", "expected"),
    [
        (Status.DONE, 40, 100),
        (Status.DONE, None, 100),
        (Status.DONE, 100, 100),
        (Status.IN_PROGRESS, 40, 40),
        (Status.PLANNED, None, None),
        (Status.ABANDONED, 0, 0),
    ],
)
def test_done_means_100_written_once(status, progress, expected):
    """« Réalisé ⇒ 100 % » (progress_for): the validation refuses another figure with it, the
    tracking space's forms and the admin's bulk action fill it in with it."""
    assert progress_for(status, progress) == expected
    if progress is not None:
        valid = progress_for(status, progress) == progress
        update = new_update(status=status, progress=progress)
        if valid:
            update.full_clean()
        else:
            with pytest.raises(ValidationError, match="réalisé est avancé à 100"):
                update.full_clean()
