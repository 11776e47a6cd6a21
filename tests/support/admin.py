"""Helpers shared by the admin tests: role users, small protocol trees, admin URLs, logged-in
clients, and the form data of an admin page."""

import datetime

from django.apps import apps
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.test import Client
from django.urls import reverse

from territories.enums import TerritoryKind
from territories.models import Territory
from territories.roles import AGGLOMERATION_GROUP, CITY_LEAD_GROUP, sync_role_groups
from tests import factories

ROLES = ("anonymous", "grigny_lead", "agglomeration", "superuser")


def territory(slug, name):
    """A seeded territory, or a new one when the seed is not there (transactional tests)."""
    found = Territory.objects.filter(slug=slug).first()
    return found or factories.TerritoryFactory(slug=slug, name=name, kind=TerritoryKind.COMMUNE)


def grigny():
    return territory("grigny", "Grigny")


def corbeil():
    return territory("corbeil-essonnes", "Corbeil-Essonnes")


def ensure_groups():
    if Group.objects.filter(name__in=[AGGLOMERATION_GROUP, CITY_LEAD_GROUP]).count() < 2:
        sync_role_groups(apps)


def make_user(role, username=None):
    """A logged-in-able user for `role`; None for anonymous."""
    if role == "anonymous":
        return None
    ensure_groups()
    username = username or f"test-{role}"
    if role == "superuser":
        return factories.UserFactory(username=username, is_staff=True, is_superuser=True)
    user = factories.UserFactory(username=username, is_staff=True)
    if role == "agglomeration":
        user.groups.add(Group.objects.get(name=AGGLOMERATION_GROUP))
    elif role == "grigny_lead":
        user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
        factories.MembershipFactory(user=user, territory=grigny())
    else:
        raise ValueError(role)
    return user


def client_for(user):
    """A test client logged in as `user` (anonymous for None)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def admin_url(model, name, *args):
    """The URL of the admin view `name` (changelist, add, change, history…) of `model`."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


def first_version_url(obj):
    """The admin page of the first recorded version of `obj`, from which it can be reverted."""
    first = obj.history.order_by("history_date", "history_id").first()
    return admin_url(type(obj), "simple_history", obj.pk, first.history_id)


def build_tree(in_territory):
    """protocol → section → strategic objective → operational objective → action (+ update)."""
    protocol = factories.ProtocolFactory(territory=in_territory)
    section = factories.SectionFactory(protocol=protocol)
    so = factories.StrategicObjectiveFactory(section=section, position=1)
    oo = factories.OperationalObjectiveFactory(strategic_objective=so, position=1)
    action = factories.ActionFactory(operational_objective=oo, position=1)
    return {"protocol": protocol, "section": section, "so": so, "oo": oo, "action": action}


def _as_post_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, QuerySet | list | tuple):
        return [str(v.pk if isinstance(v, Model) else v) for v in value]
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _form_values(form, data):
    for name in form.fields:
        value = _as_post_value(form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = value


def changeform_data(response):
    """The POST data the admin change page would send unchanged (existing inline rows only)."""
    data = {}
    _form_values(response.context["adminform"].form, data)
    try:
        inlines = response.context["inline_admin_formsets"]
    except KeyError:  # the history (revert) form has no inlines
        inlines = []
    for inline in inlines:
        formset = inline.formset
        initial = formset.initial_form_count()
        prefix = formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(initial),
                f"{prefix}-INITIAL_FORMS": str(initial),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for form in formset.forms[:initial]:
            _form_values(form, data)
    return data


def add_inline_form(data, prefix, values):
    """Append one new form to the inline formset `prefix` of changeform_data()."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    return data
