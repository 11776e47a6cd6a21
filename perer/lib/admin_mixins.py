"""Small ModelAdmin mixins shared by the commitments and territories admins, and the admin's
answer to bad input (`protect_model_admins`: a message, a redirect or a 404, never a 500)."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.html import format_html

from perer.lib.text import fold_accents

# What the mixins below are mixed into, for the type checker (at run time they stay plain
# classes in front of Django's in the MRO).
if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin
    from django.contrib.admin.widgets import AutocompleteMixin

    _ModelAdminBase = admin.ModelAdmin[Any]
    _AdminOptionsBase = BaseModelAdmin[Any]
    _AutocompleteBase = AutocompleteMixin
else:
    _ModelAdminBase = _AdminOptionsBase = _AutocompleteBase = object


class AccentInsensitiveSearchMixin(_ModelAdminBase):
    """« evry » finds « Évry » and « Évry » finds « evry ».

    PostgreSQL compares unaccent(column) with the unaccented terms (the unaccent extension is
    created by migration commitments 0002_search). SQLite has no unaccent: plain icontains.
    """

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if connection.vendor != "postgresql":
            return fields
        return [name if name[:1] in "^=@" else f"{name}__unaccent__icontains" for name in fields]

    def get_search_results(self, request, queryset, search_term):
        if connection.vendor == "postgresql":
            search_term = fold_accents(search_term)
        return super().get_search_results(request, queryset, search_term)


class ViewOnSiteMixin:
    """ "Voir sur le site" on the change form and a link column for the lists."""

    def view_on_site(self, obj):
        return obj.get_absolute_url()

    @admin.display(description="Sur le site")
    def site_link(self, obj):
        return format_html(
            '<a href="{}" title="Voir « {} » sur le site">Voir</a>', obj.get_absolute_url(), obj
        )


# --- Bad input: a message, never a 500 -----------------------------------------------------


def is_lookup_value(field, value):
    """Whether `value`, read from a URL or a form, can be looked up in the model field `field`:
    of the field's type, in its column's range (a key past 64 bits is not), without NUL."""
    if "\x00" in str(value):  # PostgreSQL refuses NUL in any text it is sent
        return False
    try:
        field.run_validators(field.to_python(value))
    except (ValidationError, TypeError):
        return False
    return True


def _target_field(db_field):
    remote = db_field.remote_field
    name = getattr(remote, "field_name", None)  # a foreign key's; none on a many-to-many
    return remote.model._meta.get_field(name) if name else remote.model._meta.pk


class _CheckedSelectionMixin(_AutocompleteBase):
    """An autocomplete widget re-displaying a refused form looks its selection up: a value that
    is not a key ("abc", a number past 64 bits) is left out instead of crashing the query."""

    def optgroups(self, name, value, attr=None):
        target = _target_field(self.field)
        value = [item for item in value if is_lookup_value(target, item)]
        return super().optgroups(name, value, attr)


class CheckedAutocompleteSelect(_CheckedSelectionMixin, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_CheckedSelectionMixin, AutocompleteSelectMultiple):
    pass


class CheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A value that cannot be a key is an invalid choice, before any query (SQLite cannot even
    compare a number past 64 bits)."""

    def _check_values(self, value):
        assert self.queryset is not None  # the admin's related fields always have one
        model = self.queryset.model
        field = model._meta.get_field(self.to_field_name) if self.to_field_name else model._meta.pk
        for item in value:
            if not is_lookup_value(field, item):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        # Django's private validation step, which the stubs leave out.
        return super()._check_values(value)  # type: ignore[misc]


class CheckedChoicesMixin(_AdminOptionsBase):
    """For ModelAdmins and inlines: related fields refuse values that cannot be keys."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", CheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class BadInputAdminMixin(CheckedChoicesMixin, _ModelAdminBase):
    """ModelAdmin mixin: what Django's admin lets through to the database and answers with a 500
    is answered like an unknown filter or an empty selection.

    - A list whose query string cannot be applied (a year past 9999 in the date hierarchy, a
      NUL character in a filter value on PostgreSQL, a page that is not a number in a sortable
      list) redirects to `?e=1`, where Django says the parameters are incorrect.
    - A bulk action on a selection holding something that is not a key does nothing and says so.
    - Related fields refuse values that cannot be keys (CheckedChoicesMixin).
    """

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_lookup_value(self.opts.pk, value) for value in selected):
            self.message_user(
                request,
                "La sélection contient un identifiant invalide : aucune action n'a été effectuée.",
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)


def _subclass(cls, mixin, **attrs):
    attrs.update(__module__=cls.__module__, __doc__=cls.__doc__)
    return type(cls.__name__, (mixin, cls), attrs)


def protect_model_admins(site):
    """Give every ModelAdmin registered on `site` (third-party ones too: groups, login attempts)
    BadInputAdminMixin, and their inlines CheckedChoicesMixin. Called once every app's admin
    module is loaded (commitments/apps.py)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, BadInputAdminMixin):
            continue
        cls = type(model_admin)
        inlines = [
            inline
            if issubclass(inline, CheckedChoicesMixin)
            else _subclass(inline, CheckedChoicesMixin)
            for inline in cls.inlines
        ]
        site.unregister(model)
        site.register(model, _subclass(cls, BadInputAdminMixin, inlines=inlines))
