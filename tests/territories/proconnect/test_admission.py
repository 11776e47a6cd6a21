"""Who may sign in with ProConnect (territories/proconnect/admission.py), on identities as
oidc.finish returns them: matched by `sub` once linked, else by email (case-insensitive) the
first time, never an account created; the refusals; removing a link; the queries."""

import pytest
from django.contrib.auth import get_user_model

from territories.models import ProConnectLink
from territories.proconnect import admission
from territories.proconnect.oidc import Identity
from tests import factories

pytestmark = pytest.mark.django_db


def identity(email="agent@ville-grigny.fr", sub="sub-1"):
    return Identity(sub=sub, email=email, acr="eidas1", amr=("pwd",), id_token="a.b.c")


def refusal(found):
    with pytest.raises(admission.NotAdmitted) as caught:
        admission.admit(found)
    return caught.value.reason


def test_first_by_email_then_by_sub():
    user = factories.UserFactory(email="Agent@Ville-Grigny.fr")
    assert admission.admit(identity()) == user
    link = ProConnectLink.objects.get()
    assert (link.user, link.sub, link.email) == (user, "sub-1", "agent@ville-grigny.fr")
    # The address changed at ProConnect, or in the portal: the sub decides.
    user.email = "ancienne@ville-grigny.fr"
    user.save()
    assert admission.admit(identity(email="nouvelle@ville-grigny.fr")) == user
    link.refresh_from_db()
    assert link.email == "nouvelle@ville-grigny.fr"


def test_no_account_is_ever_created():
    users = get_user_model().objects.count()
    assert refusal(identity(email="personne@ville-exemple.fr")) == "unknown"
    assert refusal(identity(email="")) == "unknown"  # no address, or one ProConnect did not verify
    assert get_user_model().objects.count() == users
    assert not ProConnectLink.objects.exists()


def test_refusals():
    factories.UserFactory(username="a", email="double@ville-grigny.fr")
    factories.UserFactory(username="b", email="DOUBLE@ville-grigny.fr")
    assert refusal(identity(email="double@ville-grigny.fr")) == "ambiguous"

    inactive = factories.UserFactory(email="parti@ville-grigny.fr", is_active=False)
    assert refusal(identity(email="parti@ville-grigny.fr")) == "inactive"

    linked = factories.UserFactory(email="relie@ville-grigny.fr")
    ProConnectLink.objects.create(user=linked, sub="sub-ancien", email=linked.email)
    assert refusal(identity(email="relie@ville-grigny.fr", sub="sub-nouveau")) == "linked_elsewhere"
    assert ProConnectLink.objects.get(user=linked).sub == "sub-ancien"

    # Linked, then deactivated: the sub finds the account, which may not enter.
    ProConnectLink.objects.create(user=inactive, sub="sub-parti", email=inactive.email)
    assert refusal(identity(sub="sub-parti")) == "inactive"


def test_unlink():
    user = factories.UserFactory(email="agent@ville-grigny.fr")
    admission.admit(identity())
    assert admission.unlink(user) is True
    assert admission.unlink(user) is False
    # Matched by email again, under whatever sub ProConnect gives now.
    assert admission.admit(identity(sub="sub-2")) == user
    assert ProConnectLink.objects.get(user=user).sub == "sub-2"


@pytest.mark.parametrize("others", [0, 40])
def test_constant_queries(others, django_assert_max_num_queries):
    for number in range(others):
        user = factories.UserFactory(username=f"autre{number}", email=f"autre{number}@x.fr")
        ProConnectLink.objects.create(user=user, sub=f"sub-autre-{number}", email=user.email)
    factories.UserFactory(email="agent@ville-grigny.fr")
    with django_assert_max_num_queries(5):  # lookups, then the insert in its savepoint
        admission.admit(identity())
    with django_assert_max_num_queries(2):
        admission.admit(identity())
