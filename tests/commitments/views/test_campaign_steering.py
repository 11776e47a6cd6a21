"""Staff steer a campaign from its page (views/campaign_pages.py, services/notifications.py,
selectors/campaign_completion.py `campaign_summary`): « Relancer les retardataires » (its
permission matrix, one email per lead per day whatever the clicks, « dernière relance le … »),
the closing confirmation and the closing email, the missing list folded by territory (its
counts equal to the unfolded report's, every missing commitment still reachable, constant
queries and a page whose size does not grow with the commitments)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone

from commitments.enums import NotificationKind, Status
from commitments.models import Notification
from commitments.selectors.campaign_completion import (
    campaign_report,
    campaign_summary,
    missing_rows,
)
from commitments.services import notifications
from commitments.services.campaign_lifecycle import close_campaign
from tests.support.admin import client_for, make_user
from tests.support.campaigns import (
    MATRIX_ROLES,
    days_ago,
    lead_of,
    matrix_user,
    new_campaign,
    report_in_period,
    town,
)
from tests.support.jobs import run_jobs

pytestmark = pytest.mark.django_db
K = NotificationKind


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://perer.example.org"


@pytest.fixture
def staff(fast_password_hasher):
    return make_user("agglomeration")


@pytest.fixture
def world(staff):
    """Two towns with a lead each (the second has answered everything), a campaign on both."""
    ours, our_leaves = town("Ville-Haute", slug="ville-haute")
    theirs, their_leaves = town("Ville-Basse", slug="ville-basse")
    report_in_period(our_leaves[0], Status.DONE, 100, author=staff)
    for leaf in their_leaves:
        report_in_period(leaf, Status.IN_PROGRESS, 30)
    campaign_ = new_campaign(staff, [ours, theirs], title="Campagne <2026>")
    return {
        "campaign": campaign_,
        "ours": ours,
        "theirs": theirs,
        "our_lead": lead_of(ours, "lead-haute"),
        "their_lead": lead_of(theirs, "lead-basse"),
    }


def remind_url(campaign_):
    return f"/suivi/campagnes/{campaign_.pk}/relancer/"


def emails_to(address):
    return [message for message in mail.outbox if message.to == [address]]


# --- « Relancer les retardataires » ----------------------------------------------------------

# status per role in MATRIX_ROLES order (anonymous, lead, other lead, agglomeration, superuser)
REMIND_MATRIX = {
    "get": (405, 405, 405, 405, 405),
    "head": (405, 405, 405, 405, 405),
    "post": (302, 403, 404, 302, 302),
}


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize("method", list(REMIND_MATRIX))
def test_remind_permission_matrix(staff, role, method):
    ours, _ = town("Notre ville", slug="notre-ville")
    theirs, _ = town("Autre ville", slug="autre-ville")
    lead_of(ours, "lead-a-relancer")
    campaign_ = new_campaign(staff, [ours])
    mail.outbox.clear()
    run_jobs()  # the opening emails, sent at once
    mail.outbox.clear()
    client = client_for(matrix_user(role, ours, theirs))
    response = getattr(client, method)(remind_url(campaign_))
    expected = REMIND_MATRIX[method][MATRIX_ROLES.index(role)]
    assert response.status_code == expected
    if expected == 302 and role == "anonymous":
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    run_jobs()
    reminded = expected == 302 and role != "anonymous"
    assert len(emails_to("lead-a-relancer@example.org")) == (1 if reminded else 0)
    if reminded:
        assert response["Location"] == campaign_.get_absolute_url() + "#actions"


def test_remind_needs_the_csrf_token(world, staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(remind_url(world["campaign"]))
    assert response.status_code == 403
    assert not Notification.objects.filter(kind=K.REMINDER_MANUAL).exists()


def test_two_clicks_one_email_per_late_lead_per_day(world, staff):
    client = client_for(staff)
    page = client.get(world["campaign"].get_absolute_url()).content.decode()
    assert "Aucune relance n'a encore été envoyée" in page
    run_jobs()
    mail.outbox.clear()
    for _ in range(2):
        response = client.post(remind_url(world["campaign"]), follow=True)
        assert "Relance en cours d&#x27;envoi" in response.content.decode()
    run_jobs()
    # Ville-Basse answered everything: only the lead of Ville-Haute is reminded, once.
    assert [m.to for m in mail.outbox] == [["lead-haute@example.org"]]
    message = mail.outbox[0]
    assert message.subject.startswith("Relance de l'agglomération — campagne de suivi")
    assert "2 engagements sur 3 de Ville-Haute restent à renseigner" in message.body
    today = timezone.localdate()
    page = client.get(world["campaign"].get_absolute_url()).content.decode()
    assert f"Dernière relance le {today.day} " in page and "(1 destinataire)" in page
    # The next day, a click reminds again.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        client.post(remind_url(world["campaign"]))
        client.post(remind_url(world["campaign"]))
        run_jobs()
    assert len(emails_to("lead-haute@example.org")) == 2
    assert Notification.objects.filter(kind=K.REMINDER_MANUAL).count() == 2


def test_two_jobs_of_the_same_day_send_once(world):
    """Two jobs (two clicks) run one after the other, or a job run again: the keys settle it."""
    campaign_ = world["campaign"]
    first = notifications.remind_late_leads(campaign_)
    second = notifications.remind_late_leads(campaign_)
    assert (first.total, second.total, second.already_done) == (1, 0, 1)


def test_no_reminder_for_a_closed_or_upcoming_campaign(world, staff):
    client = client_for(staff)
    upcoming = new_campaign(staff, [world["ours"]], title="Plus tard", opens_on=days_ago(-3))
    response = client.post(remind_url(upcoming), follow=True)
    assert "La campagne n&#x27;ouvre que le" in response.content.decode()
    close_campaign(world["campaign"], staff)
    run_jobs()
    mail.outbox.clear()
    response = client.post(remind_url(world["campaign"]), follow=True)
    assert "il n&#x27;y a plus personne à relancer" in response.content.decode()
    run_jobs()
    assert mail.outbox == []
    assert notifications.remind_late_leads(world["campaign"]).total == 0


# --- Closing: the confirmation and the email --------------------------------------------------


def test_the_closing_confirmation_states_the_deadline_and_what_is_missing(world, staff):
    page = client_for(staff).get(world["campaign"].get_absolute_url()).content.decode()
    actions = page.index('id="actions"')
    assert actions < page.index('id="par-territoire"') < page.index('id="manquants"')
    close_part = page[page.index('id="cloture"') :]
    deadline = world["campaign"].deadline
    assert "Échéance : <strong>" in close_part and f" {deadline.year}</strong>" in close_part
    assert "2 engagements sur 6 (33 %) restent à renseigner." in close_part
    assert "L'échéance n'est pas encore passée" in close_part
    assert "ont encore 5 jours pour répondre" in close_part
    assert "avec 2 engagements non renseignés, avant son échéance" in close_part


def test_after_the_deadline_the_confirmation_does_not_say_before(staff):
    territory, _ = town()
    campaign_ = new_campaign(staff, [territory], opens_on=days_ago(20), deadline=days_ago(2))
    page = client_for(staff).get(campaign_.get_absolute_url()).content.decode()
    assert "n'est pas encore passée" not in page and "avant son échéance" not in page
    assert "3 engagements sur 3 (100 %) restent à renseigner." in page


def test_each_lead_gets_the_closing_email_once(world, staff):
    run_jobs()
    mail.outbox.clear()
    client = client_for(staff)
    url = f"/suivi/campagnes/{world['campaign'].pk}/cloturer/"
    client.post(url, {"confirmer": "oui"})
    client.post(url, {"confirmer": "oui"})  # refused: already closed
    assert notifications.announce_closing(world["campaign"]).already_done == 2
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lead-basse@example.org",
        "lead-haute@example.org",
    ]
    message = emails_to("lead-haute@example.org")[0]
    assert (
        message.subject
        == "Campagne de suivi « Campagne <2026> » clôturée : vos chiffres et le bilan"
    )
    assert "Ville-Haute : 1 engagement renseigné sur 3 (33 %), 2 non renseignés." in message.body
    assert "- Réalisé : 1" in message.body and "- Non renseigné : 2" in message.body
    pk = world["campaign"].pk
    assert f"https://perer.example.org/suivi/campagnes/{pk}/ville-haute/bilan.pdf" in message.body
    assert "Ville-Basse" not in message.body
    html = message.alternatives[0].content
    assert "« Campagne &lt;2026&gt; »" in html


# --- The missing list folded by territory -----------------------------------------------------


def _figures(report):
    return (
        [(t.pk, c.total, c.reported, dict(c.statuses)) for t, c in report.by_territory],
        [(t.pk, c.total, c.reported, dict(c.statuses)) for t, c in report.by_thematic],
        [(a.territory.pk, a.author_name, a.count, a.last_date) for a in report.answers],
        (report.overall.total, report.overall.missing),
        report.remaining_message,
    )


@pytest.mark.parametrize("close", [False, True], ids=["open", "closed"])
def test_the_folded_counts_equal_the_unfolded_ones(world, staff, close):
    campaign_ = world["campaign"]
    other = make_user("agglomeration", username="autre-agent")
    first_missing = _target(missing_rows(campaign_, world["ours"])[0])
    report_in_period(first_missing, Status.ABANDONED, 0, author=other)
    if close:
        close_campaign(campaign_, staff)
    territories = [world["ours"], world["theirs"]]
    full = campaign_report(campaign_, territories)
    folded = campaign_summary(campaign_, territories)
    assert _figures(folded) == _figures(full)
    unfolded_missing = [(row.kind, row.commitment_id) for row in full.missing]
    refolded = [
        (row.kind, row.commitment_id)
        for territory in territories
        for row in missing_rows(campaign_, territory)
    ]
    assert refolded == unfolded_missing and len(refolded) == 1


def _target(row):
    from commitments.models import Action, OperationalObjective

    model = Action if row.kind == Action.kind else OperationalObjective
    return model.objects.get(pk=row.commitment_id)


def test_every_missing_commitment_is_reachable_from_the_page(world, staff):
    client = client_for(staff)
    page = client.get(world["campaign"].get_absolute_url()).content.decode()
    url = f"/suivi/campagnes/{world['campaign'].pk}/ville-haute/manquants/"
    assert f'href="{url}"' in page and f'data-missing-url="{url}?fragment=1"' in page
    assert "ville-basse/manquants/" not in page  # nothing missing there
    assert "Ville-Haute : 2 sur 3" in page
    rows = missing_rows(world["campaign"], world["ours"])
    listing = client.get(url).content.decode()
    fragment = client.get(url + "?fragment=1").content.decode()
    for row in rows:
        assert row.text in listing and row.text in fragment
        assert row.text not in page  # folded: loaded when opened
    assert "<html" in listing and "<html" not in fragment
    assert "Ville-Haute : engagements restant à renseigner (2)" in listing


def test_the_missing_page_permissions(world):
    url = f"/suivi/campagnes/{world['campaign'].pk}/ville-haute/manquants/"
    assert client_for(world["our_lead"]).get(url).status_code == 200
    assert client_for(world["their_lead"]).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    assert client_for(world["our_lead"]).post(url).status_code == 405
    unknown = f"/suivi/campagnes/{world['campaign'].pk}/inconnue/manquants/"
    assert client_for(world["our_lead"]).get(unknown).status_code == 404


def test_the_staff_page_stays_small_and_its_queries_constant(staff, django_assert_max_num_queries):
    """At 2 territories of 3 commitments and at 8 of 30, the same queries; the HTML grows with
    the territories, never with the commitments."""
    client = client_for(staff)
    counts, sizes = [], []
    for n_territories, size in ((2, 1), (8, 10)):
        territories = []
        for index in range(n_territories):
            territory, leaves = town(f"Ville {n_territories}-{index}", size=size)
            report_in_period(leaves[0], author=staff)
            lead_of(territory, f"lead-{n_territories}-{index}")
            territories.append(territory)
        campaign_ = new_campaign(staff, territories, title=f"Campagne {n_territories}")
        notifications.remind_late_leads(campaign_)
        with django_assert_max_num_queries(20) as captured:
            response = client.get(campaign_.get_absolute_url())
        assert response.status_code == 200
        counts.append(len(captured))
        sizes.append(len(response.content) / n_territories)
        missing = f"/suivi/campagnes/{campaign_.pk}/{territories[0].slug}/manquants/"
        with django_assert_max_num_queries(12) as captured:
            assert client.get(missing).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[2] and counts[1] == counts[3]
    # The bytes per territory do not grow with ten times more commitments per territory.
    assert sizes[1] < sizes[0]


def test_the_admin_confirmation_states_the_same_facts(world, staff):
    from django.urls import reverse

    url = reverse("admin:commitments_campaign_close", args=[world["campaign"].pk])
    page = client_for(staff).get(url).content.decode()
    assert "2 engagements sur 6 (33 %) restent à renseigner." in page
    assert "L'échéance n'est pas encore passée" in page
