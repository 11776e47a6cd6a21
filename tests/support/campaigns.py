"""A small town with a protocol and a campaign around today, as the campaign tests state
them (tests of models, services, reporting, views and admin of campaigns)."""

import datetime

from django.utils import timezone

from commitments.enums import Status
from commitments.services.campaign_lifecycle import open_campaign
from tests import factories
from tests.support.progress import report


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


# The campaign's period: from 100 days ago to 10 days ago; open since 20 days, due in 5 days.
PERIOD = (100, 10)


def campaign_fields(**fields):
    return {
        "title": "Campagne 2026",
        "period_start": days_ago(PERIOD[0]),
        "period_end": days_ago(PERIOD[1]),
        "opens_on": days_ago(20),
        "deadline": days_ago(-5),
        **fields,
    }


def new_campaign(by, territories, **fields):
    return open_campaign(by=by, territories=territories, **campaign_fields(**fields))


def town(name="Ville test", slug=None, size=1):
    """A territory whose protocol has, per `size`: one operational objective without actions
    (a leaf) and one with two actions (the actions are the leaves): 3 commitments per size."""
    territory = factories.TerritoryFactory(name=name, **({"slug": slug} if slug else {}))
    protocol = factories.ProtocolFactory(territory=territory, start_year=2019, end_year=2030)
    section = factories.SectionFactory(protocol=protocol)
    leaves = []
    for _ in range(size):
        so = factories.StrategicObjectiveFactory(section=section)
        leaf = factories.OperationalObjectiveFactory(strategic_objective=so)
        parent = factories.OperationalObjectiveFactory(strategic_objective=so)
        leaves += [
            leaf,
            factories.ActionFactory(operational_objective=parent),
            factories.ActionFactory(operational_objective=parent),
        ]
    return territory, leaves


def report_in_period(target, status=Status.IN_PROGRESS, progress=50, **fields):
    """An update dated in the middle of the campaign's period."""
    return report(target, days_ago(50), status, progress, **fields)


# The roles of the campaigns' permission matrix: a campaign concerns "ours" and not "theirs".
MATRIX_ROLES = ("anonymous", "lead", "other_lead", "agglomeration", "superuser")


def lead_of(territory, username):
    """A city project lead attached to `territory`."""
    from django.contrib.auth.models import Group

    from territories.roles import CITY_LEAD_GROUP
    from tests.support.admin import ensure_groups

    ensure_groups()
    user = factories.UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
    factories.MembershipFactory(user=user, territory=territory)
    return user


def matrix_user(role, ours, theirs):
    """The user of `role` (None for anonymous)."""
    from tests.support.admin import make_user

    if role == "lead":
        return lead_of(ours, "chef-de-projet-ici")
    if role == "other_lead":
        return lead_of(theirs, "chef-de-projet-ailleurs")
    return make_user(role)


def campaigns_sample():
    """A closed campaign on Grigny (its frozen figures) and a notification: a row of each model
    of campaigns, for the tests that open every admin page."""
    from commitments.enums import NotificationKind
    from commitments.models import Notification
    from commitments.services.campaign_lifecycle import close_campaign
    from tests.support.admin import grigny, make_user

    staff = make_user("agglomeration", username="rounds-sample-staff")
    campaign_ = new_campaign(staff, [grigny()], title="Campagne <échantillon>")
    close_campaign(campaign_, staff)
    Notification.objects.create(
        user=staff,
        kind=NotificationKind.ROUND_OPENED,
        campaign=campaign_,
        key=f"round_opened:round={campaign_.pk}:user={staff.pk}",
        error="SMTP <refus>",
    )
    return campaign_
