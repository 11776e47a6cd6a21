"""Two city leads saving the same commitment at the same instant (/suivi/, two connections):
one update is saved, the other lead gets « modifié entre-temps » with the first one's update
and keeps their input. The version is checked inside the transaction that writes, after the
commitment's row is locked (services/progress_rule.py, perer/lib/concurrency.check_version).

The instant is forced: each request, once its check has passed, waits (at most WAIT seconds)
for the other one to have passed it too. With the lock, the second request cannot pass its
check while the first one holds the row: the first goes on alone after WAIT, commits, and the
second then reads the new version. Without the lock (the control), both pass, meet, and both
write — the race the lock closes.
"""

import contextlib
import threading

import pytest
from django.db import connection
from django.utils import timezone

from commitments.models import Action
from commitments.services import progress_rule
from perer.lib import concurrency
from tests import factories
from tests.support.admin import build_tree, client_for, grigny, make_user

WAIT = 1.0  # seconds a request that passed its check waits for the other one
ROUNDS = 4


def unlocked_check(instance, loaded_version):
    """The check without the lock: a plain read of the version."""
    rows = type(instance)._default_manager.filter(pk=instance.pk)
    current = rows.values_list("version", flat=True).first()
    if current != loaded_version:
        raise concurrency.VersionConflict(current)
    return current


def meeting_after(check):
    """`check`, then a wait for the other request to have passed its own check too."""
    barrier = threading.Barrier(2)

    def checked(instance, loaded_version):
        current = check(instance, loaded_version)
        # Broken after WAIT: the other request is waiting for the row, or was refused.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(WAIT)
        return current

    return checked


def post_both(clients, url, payloads):
    """Each client posts its payload in its own thread (its own connection): the responses."""
    responses = [None, None]

    def post(index):
        try:
            responses[index] = clients[index].post(url, payloads[index])
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return responses


def payload(action, comment, status, progress):
    return {
        "action": "point",
        "status": status,
        "progress": str(progress),
        "date": timezone.localdate().isoformat(),
        "comment": comment,
        "link": "",
        "version": str(Action.objects.get(pk=action.pk).version),
    }


@pytest.fixture
def two_leads(fast_password_hasher):
    action = build_tree(grigny())["action"]
    marie = make_user("grigny_lead", username="marie")
    marie.first_name, marie.last_name = "Marie", "Curie"
    marie.save()
    paul = factories.UserFactory(username="paul", first_name="Paul", last_name="Langevin")
    paul.is_staff = True
    paul.save()
    paul.groups.set(marie.groups.all())
    factories.MembershipFactory(user=paul, territory=grigny())
    return action, {"Marie Curie": client_for(marie), "Paul Langevin": client_for(paul)}


def race(action, clients, round_):
    """One simultaneous pair: [(name, comment, response)] for both leads."""
    names = list(clients)
    payloads = [
        payload(action, f"Saisie de {name}, tour {round_}", status, progress)
        for name, (status, progress) in zip(names, [("en_cours", 30), ("prevu", 10)], strict=True)
    ]
    url = action.get_tracking_url()
    responses = post_both([clients[name] for name in names], url, payloads)
    return [
        (name, data["comment"], response)
        for name, data, response in zip(names, payloads, responses, strict=True)
    ]


@pytest.mark.postgres_only(reason="row locks (select_for_update) between two connections")
@pytest.mark.django_db(transaction=True)
def test_two_leads_at_the_same_instant_one_saves_the_other_is_told(two_leads, monkeypatch):
    action, clients = two_leads
    for round_ in range(ROUNDS):
        locked = meeting_after(concurrency.check_version)  # a new meeting point each round
        monkeypatch.setattr(progress_rule, "check_version", locked)
        before = action.updates.count()
        outcomes = race(action, clients, round_)
        codes = sorted(response.status_code for _, _, response in outcomes)
        assert codes == [302, 400], [(n, r.status_code) for n, _, r in outcomes]
        assert action.updates.count() == before + 1
        (winner, saved_comment, _), (loser, kept_comment, refused) = sorted(
            outcomes, key=lambda outcome: outcome[2].status_code
        )
        latest = action.updates.order_by("-created_at", "-pk").first()
        assert latest.comment == saved_comment
        page = refused.content.decode()
        assert "modifié entre-temps" in page
        assert f"{winner} a enregistré un point" in page  # the other's update
        assert kept_comment in page  # the loser's input, kept
        # Posted again from the refused page (the current version), it goes through.
        again = payload(action, kept_comment, "prevu", 10)
        assert clients[loser].post(action.get_tracking_url(), again).status_code == 302


@pytest.mark.postgres_only(reason="row locks (select_for_update) between two connections")
@pytest.mark.django_db(transaction=True)
def test_without_the_lock_both_pass_the_check(two_leads, monkeypatch):
    """The control: the same check without the row lock lets both requests write."""
    action, clients = two_leads
    monkeypatch.setattr(progress_rule, "check_version", meeting_after(unlocked_check))
    outcomes = race(action, clients, 0)
    assert [response.status_code for _, _, response in outcomes] == [302, 302]
    assert action.updates.count() == 2
