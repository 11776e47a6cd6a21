"""perer/lib/admin_mixins.py: what cannot be a key is refused before any query, and every
ModelAdmin of the site gets that protection."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError

from commitments.models import Partner
from perer.lib.admin_mixins import (
    BadInputAdminMixin,
    CheckedChoicesMixin,
    CheckedModelMultipleChoiceField,
    is_lookup_value,
)
from tests import factories

PK = Partner._meta.pk


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", True),
        (12, True),
        ("abc", False),
        ("", False),
        (str(2**63), False),  # past the column's 64 bits
        ("12\x00", False),  # PostgreSQL refuses NUL
    ],
)
def test_what_can_be_looked_up_as_a_key(value, expected):
    assert is_lookup_value(PK, value) is expected


@pytest.mark.django_db
def test_a_value_that_cannot_be_a_key_is_an_invalid_choice_without_a_query(
    django_assert_num_queries,
):
    field = CheckedModelMultipleChoiceField(queryset=Partner.objects.all())
    with django_assert_num_queries(0), pytest.raises(ValidationError) as refused:
        field.clean(["abc"])
    assert refused.value.code == "invalid_pk_value"
    assert "n’est pas une valeur correcte" in refused.value.messages[0]


@pytest.mark.django_db
def test_keys_still_select_their_rows():
    partner = factories.PartnerFactory()
    field = CheckedModelMultipleChoiceField(queryset=Partner.objects.all())
    assert list(field.clean([str(partner.pk)])) == [partner]


def test_every_registered_admin_and_inline_is_protected():
    for model_admin in admin.site._registry.values():
        assert isinstance(model_admin, BadInputAdminMixin), type(model_admin)
        for inline in type(model_admin).inlines:
            assert issubclass(inline, CheckedChoicesMixin), inline
