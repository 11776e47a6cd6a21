"""export_protocols / import_protocols carry the whole portal (format version 2,
commitments/services/backup.py): accounts without password hashes (unless --with-passwords),
campaigns with their frozen figures, notifications already sent, memberships and preferences,
next to protocols, two editions and indicators. A restored portal is the same portal: the same
bytes exported again, and its daily tick sends nothing twice. Runs on the database in use
(the CI runs it on SQLite and on PostgreSQL)."""

import datetime
import io
import json
import zoneinfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from commitments.enums import NotificationKind, Status
from commitments.models import (
    Action,
    Campaign,
    CampaignFigure,
    Edition,
    IndicatorValue,
    Notification,
    Partner,
    Protocol,
)
from commitments.services import backup
from commitments.services.campaign_lifecycle import close_campaign, open_campaign
from commitments.services.editions import publish_edition
from territories.accounts import save_preferences
from territories.models import AccountPreferences, Territory, TerritoryMembership
from territories.roles import CITY_LEAD_GROUP
from tests.support.admin import make_user
from tests.support.campaigns import lead_of
from tests.support.jobs import run_jobs
from tests.support.progress import report

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Six days before the open campaign's deadline: its opening and its 7-day reminder are due.
TODAY = datetime.datetime(2030, 4, 24, 10, 0, tzinfo=PARIS)
User = get_user_model()


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://perer.example.org"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock():
    with time_machine.travel(TODAY, tick=True):
        yield


def export_text(*args):
    out = io.StringIO()
    call_command("export_protocols", *args, stdout=out)
    return out.getvalue()


def run_email_jobs():
    """The queued emails, sent (the PDFs' renders, queued by the writes, are not the point)."""
    DBTaskResult.objects.filter(queue_name="pdf").delete()
    return run_jobs()


def grigny_actions():
    return Action.objects.filter(
        operational_objective__strategic_objective__section__protocol__territory__slug="grigny"
    ).order_by("pk")


def build_portal():
    """What a year of use leaves: an amendment (edition 2), a closed campaign with its frozen
    figures, an open campaign whose opening and reminder were emailed, leads attached to their
    city (one who turned reminders off), staff, indicator values."""
    grigny = Territory.objects.get(slug="grigny")
    corbeil = Territory.objects.get(slug="corbeil-essonnes")
    staff = make_user("agglomeration", username="agent.agglo")
    staff.first_name, staff.last_name = "Agnès", "Lefèvre"
    staff.save()
    lead = lead_of(grigny, "cheffe.grigny")
    lead.first_name, lead.last_name, lead.email = "Zoé", "N’Diaye", "zoe@grigny.example.org"
    # An account in use (it has logged in): restored without its password, it still counts as
    # activated, so the restored tick would write to it if the notifications were not restored.
    lead.last_login = timezone.now()
    lead.save()
    quiet = lead_of(corbeil, "chef.corbeil")
    save_preferences(quiet, reminders=False, weekly_digest=False)

    action = grigny_actions().first()
    action.text = "Texte modifié par l'avenant « n° 1 »"
    action.save()
    publish_edition(
        Protocol.objects.get(territory=grigny),
        title="Avenant n° 1",
        deliberation_reference="Del 2030 0042",
        deliberation_date=None,
        by=staff,
    )

    closed = open_campaign(
        by=staff,
        territories=[grigny],
        title="Campagne 2029",
        period_start=datetime.date(2029, 1, 1),
        period_end=datetime.date(2029, 12, 31),
        opens_on=datetime.date(2030, 1, 6),
        deadline=datetime.date(2030, 1, 31),
    )
    report(action, datetime.date(2029, 6, 15), Status.IN_PROGRESS, 40, author=lead, comment="Lancé")
    close_campaign(closed, staff)
    # Later news does not change the closed campaign's figures.
    report(action, datetime.date(2030, 2, 1), Status.DONE, 100, author=lead)

    open_campaign(
        by=staff,
        territories=[grigny, corbeil],
        title="Campagne 2030",
        period_start=datetime.date(2030, 1, 1),
        period_end=datetime.date(2030, 3, 31),
        opens_on=datetime.date(2030, 4, 1),
        deadline=datetime.date(2030, 4, 30),
    )
    IndicatorValue.objects.filter(indicator__territory=grigny).update(author=lead)

    call_command("send_reminders", stdout=io.StringIO())
    run_email_jobs()
    return lead


def restore_into_empty_database(text, tmp_path, *args):
    """A new server: an empty database (migrated: content types and permissions), then the
    import of `text`."""
    path = tmp_path / "sauvegarde.json"
    path.write_text(text, encoding="utf-8")
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists() and not Group.objects.exists()
    out = io.StringIO()
    call_command("import_protocols", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
class TestRestoreIntoAnEmptyDatabase:
    def test_same_bytes_and_nothing_sent_twice(self, seeded, clock, tmp_path):
        lead = build_portal()
        sent = sorted((m.to[0], m.subject) for m in mail.outbox)
        # The closing of the past campaign, the opening and the 7-day reminder of the open one, to
        # Grigny's lead only.
        assert len(sent) == 3
        assert {to for to, _ in sent} == {"zoe@grigny.example.org"}
        figures = list(
            CampaignFigure.objects.order_by("pk").values_list(
                "text", "status", "progress", "reported"
            )
        )
        first = export_text()
        data = json.loads(first)
        counts = data["counts"]
        assert data["version"] == 2
        assert counts["commitments.campaign"] == 2
        assert counts["commitments.campaignfigure"] == len(figures) > 0
        assert counts["commitments.notification"] == 3
        assert counts["commitments.edition"] == 8
        assert counts["commitments.indicatorvalue"] > 0
        assert counts["territories.territorymembership"] == 2
        assert counts["territories.accountpreferences"] == 1
        assert '"password"' not in first

        out = restore_into_empty_database(first, tmp_path)
        assert "cheffe.grigny" in out  # reported as created, password to be reset
        assert export_text() == first

        # The same portal, read back from the database itself.
        restored = User.objects.get(username="cheffe.grigny")
        assert (restored.pk, restored.first_name, restored.last_name, restored.email) == (
            lead.pk,
            "Zoé",
            "N’Diaye",
            "zoe@grigny.example.org",
        )
        assert restored.is_active and restored.is_staff and not restored.has_usable_password()
        assert list(restored.groups.values_list("name", flat=True)) == [CITY_LEAD_GROUP]
        assert Group.objects.get(name=CITY_LEAD_GROUP).permissions.exists()
        assert TerritoryMembership.objects.filter(user=restored, territory__slug="grigny").exists()
        assert not AccountPreferences.objects.get(user__username="chef.corbeil").reminders
        closed = Campaign.objects.get(title="Campagne 2029")
        assert closed.is_closed and closed.closed_by.username == "agent.agglo"
        assert (
            list(
                CampaignFigure.objects.order_by("pk").values_list(
                    "text", "status", "progress", "reported"
                )
            )
            == figures
        )
        assert Edition.objects.filter(protocol__territory__slug="grigny").count() == 2

        # The restored instance's daily tick: everything due was already sent.
        mail.outbox.clear()
        out = io.StringIO()
        call_command("send_reminders", stdout=out)
        run_email_jobs()
        assert mail.outbox == []
        assert out.getvalue().startswith("0 courriel(s) mis en file ; 2 déjà envoyé(s)")

    def test_with_passwords_the_accounts_log_in_again(self, seeded, clock, tmp_path):
        lead = lead_of(Territory.objects.get(slug="grigny"), "cheffe.grigny")
        lead.set_password("phrase de passe restaurée")
        lead.save()
        text = export_text("--with-passwords")
        assert lead.password in text

        restore_into_empty_database(text, tmp_path)
        assert User.objects.get(username="cheffe.grigny").check_password(
            "phrase de passe restaurée"
        )
        assert export_text("--with-passwords") == text

    def test_a_user_whose_id_is_taken_keeps_their_notifications(self, seeded, clock, tmp_path):
        lead = build_portal()
        path = tmp_path / "sauvegarde.json"
        path.write_text(export_text(), encoding="utf-8")
        call_command("flush", interactive=False, verbosity=0)
        # The new server already has an account with the lead's id.
        User.objects.create_user(pk=lead.pk, username="admin.nouveau")

        call_command("import_protocols", str(path), stdout=io.StringIO())
        restored = User.objects.get(username="cheffe.grigny")
        assert restored.pk != lead.pk
        assert Notification.objects.filter(user=restored).count() == 3  # closing, opening, reminder
        assert all(
            key.endswith(f":user={restored.pk}")
            for key in Notification.objects.values_list("key", flat=True)
        )
        mail.outbox.clear()
        call_command("send_reminders", stdout=io.StringIO())
        run_email_jobs()
        assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
class TestReplace:
    def test_replace_with_a_closed_campaign_gives_the_file_back(self, seeded, clock, tmp_path):
        build_portal()
        text = export_text()
        path = tmp_path / "sauvegarde.json"
        path.write_text(text, encoding="utf-8")
        Campaign.objects.filter(title="Campagne 2030").update(title="Renommée")

        call_command("import_protocols", str(path), "--replace", stdout=io.StringIO())
        assert export_text() == text

    def test_notifications_sent_after_the_backup_are_kept(self, seeded, clock, tmp_path):
        build_portal()
        path = tmp_path / "sauvegarde.json"
        path.write_text(export_text(), encoding="utf-8")
        # The day before the deadline: the last reminder leaves, after the backup.
        with time_machine.travel(datetime.datetime(2030, 4, 29, 10, 0, tzinfo=PARIS)):
            call_command("send_reminders", stdout=io.StringIO())
            run_email_jobs()
            assert Notification.objects.filter(kind=NotificationKind.REMINDER_1_DAY).exists()
            later = Notification.objects.get(kind=NotificationKind.REMINDER_1_DAY)

            call_command("import_protocols", str(path), "--replace", stdout=io.StringIO())
            kept = Notification.objects.get(key=later.key)
            assert (kept.sent_at, kept.created_at, kept.campaign.title) == (
                later.sent_at,
                later.created_at,
                "Campagne 2030",
            )
            mail.outbox.clear()
            call_command("send_reminders", stdout=io.StringIO())
            run_email_jobs()
            assert mail.outbox == []

    def test_broken_file_changes_nothing(self, seeded, clock, tmp_path):
        build_portal()
        before = export_text()
        data = json.loads(before)
        figure = next(o for o in data["objects"] if o["model"] == "commitments.campaignfigure")
        figure["fields"]["thematic"] = 99999
        path = tmp_path / "cassee.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(CommandError, match="Références cassées") as raised:
            call_command("import_protocols", str(path), "--replace")
        assert "commitments.thematic n° 99999" in str(raised.value)
        assert export_text() == before


def version_1(text):
    """What export_protocols wrote in version 1: the same objects, without accounts, campaigns,
    notifications, memberships and preferences."""
    data = json.loads(text)
    v1 = {model._meta.label_lower for model in backup.MODELS_V1}
    objects = [o for o in data["objects"] if o["model"] in v1]
    counts = {label: count for label, count in data["counts"].items() if label in v1}
    return {"format": backup.FORMAT, "version": 1, "counts": counts, "objects": objects}


@pytest.mark.django_db(transaction=True)
class TestVersion1:
    def test_a_version_1_file_still_imports(self, seeded, clock, tmp_path):
        build_portal()
        text = export_text()
        old = version_1(text)
        restore_into_empty_database(json.dumps(old, ensure_ascii=False), tmp_path)
        # Authors come back as inactive accounts without password, as version 1 did.
        author = User.objects.get(username="cheffe.grigny")
        assert not author.is_active and not author.has_usable_password()
        assert not Campaign.objects.exists()
        again = json.loads(export_text())
        assert again["version"] == 2
        assert version_1(json.dumps(again)) == old

    def test_a_version_1_file_gives_each_commitment_its_pilot(self, seeded, clock, tmp_path):
        build_portal()
        action = Action.objects.order_by("pk").first()
        action.pilot = Partner.objects.order_by("pk").last()
        action.save()
        old = version_1(export_text())
        # renames.sh: keep (version 1 files name the pilot by its old name)
        for item in old["objects"]:
            if "pilot" in item["fields"]:
                item["fields"]["lead"] = item["fields"].pop("pilot")
        assert any("lead" in item["fields"] for item in old["objects"])
        # renames.sh: end
        restore_into_empty_database(json.dumps(old, ensure_ascii=False), tmp_path)
        assert Action.objects.get(pk=action.pk).pilot == action.pilot
        again = json.loads(export_text())
        written = next(
            item
            for item in again["objects"]
            if item["model"] == "commitments.action" and item["pk"] == action.pk
        )
        assert written["fields"]["pilot"] == action.pilot.pk  # today's files say `pilot`
        # renames.sh: keep
        assert not any("lead" in item["fields"] for item in again["objects"])
        # renames.sh: end

    def test_a_version_1_file_does_not_replace_campaigns(self, seeded, clock, tmp_path):
        build_portal()
        before = export_text()
        path = tmp_path / "ancienne.json"
        path.write_text(json.dumps(version_1(before)), encoding="utf-8")
        with pytest.raises(CommandError, match="version 1 ne contient pas les campagnes"):
            call_command("import_protocols", str(path), "--replace")
        assert export_text() == before


@pytest.mark.django_db(transaction=True)
class TestBadFilesV2:
    @pytest.mark.parametrize(
        ("objects", "message"),
        [
            ("rien", "pas de liste « objects »"),
            ([["auth.user"]], "objets mal formés"),
            ([{"model": "sessions.session", "fields": {}}], "Objets inattendus"),
            (
                [{"model": "auth.user", "pk": 1, "fields": {"username": "x", "groups": [["?"]]}}],
                "Groupe inconnu",
            ),
            (
                [
                    {
                        "model": "auth.user",
                        "pk": 1,
                        "fields": {"username": "x", "date_joined": "hier"},
                    }
                ],
                "Compte « x » illisible",
            ),
            (
                [{"model": "auth.user", "pk": 1, "fields": {"username": "x", "groups": 5}}],
                "Contenu illisible",
            ),
            (
                [{"model": "territories.territory", "pk": [1], "fields": {}}],
                "objets mal formés",
            ),
            (
                [
                    {
                        "model": "territories.territorymembership",
                        "pk": 1,
                        "fields": {"user": ["x"], "territory": 404, "created_at": None},
                    }
                ],
                "Références cassées",
            ),
        ],
    )
    def test_clear_message_and_nothing_written(self, tmp_path, objects, message):
        path = tmp_path / "fichier.json"
        content = {"format": backup.FORMAT, "version": 2, "objects": objects}
        path.write_text(json.dumps(content), encoding="utf-8")
        call_command("flush", interactive=False, verbosity=0)
        with pytest.raises(CommandError, match=message):
            call_command("import_protocols", str(path))
        assert not User.objects.exists()

    def test_a_newer_version_is_named(self, tmp_path):
        path = tmp_path / "futur.json"
        path.write_text('{"format": "perer-protocoles", "version": 3, "objects": []}')
        with pytest.raises(CommandError, match="Version de sauvegarde 3 non prise en charge"):
            call_command("import_protocols", str(path))
