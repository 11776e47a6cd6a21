"""The years of a protocol and of a commitment: one rule, in the models' validation.

A year lies between FIRST_YEAR and LAST_YEAR, and a start year is not after the end year (either
may be unknown). `YearField` carries the range: its validators (run by `full_clean`), and the
bounds and French messages of its form field. `YearSpanMixin.clean_fields` checks the order.
Every path that writes years validates through the model: the admin's forms (staff and city
leads, history reverts included), the tracking space's form (/suivi/), the spreadsheet import
(`clean_model_instances`); the API is read-only. The database refuses a reversed order too
(constraints.years_in_order).
"""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

FIRST_YEAR, LAST_YEAR = 2000, 2100

OUT_OF_RANGE = (
    f"Indiquez une année entre {FIRST_YEAR} et {LAST_YEAR} (« %(value)s » est hors de cette "
    "période)."
)
NOT_A_YEAR = "Indiquez une année sur quatre chiffres, par exemple 2021."


def order_error(start_year, end_year):
    """The French message for a start year after the end year, or None."""
    if start_year is not None and end_year is not None and start_year > end_year:
        return f"L'année de fin ({end_year}) ne peut pas précéder l'année de début ({start_year})."
    return None


class YearField(models.PositiveSmallIntegerField):
    """An optional year between FIRST_YEAR and LAST_YEAR."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["validators"] = [
            MinValueValidator(FIRST_YEAR, message=OUT_OF_RANGE),
            MaxValueValidator(LAST_YEAR, message=OUT_OF_RANGE),
        ]
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        del kwargs["validators"]  # implied by the class
        return name, path, args, kwargs

    # Django's IntegerField.formfield takes keyword arguments only; the stubs type Field's.
    def formfield(self, **kwargs):  # type: ignore[override]
        return super().formfield(
            **{
                "min_value": FIRST_YEAR,
                "max_value": LAST_YEAR,
                "error_messages": {
                    "invalid": NOT_A_YEAR,
                    "min_value": OUT_OF_RANGE,
                    "max_value": OUT_OF_RANGE,
                },
                **kwargs,
            }
        )


if TYPE_CHECKING:
    _ModelBase = models.Model  # what the mixin is mixed into (for clean_fields)
else:
    _ModelBase = object


class YearSpanMixin(_ModelBase):
    """For models with `start_year` and `end_year` (YearFields): the order is checked with the
    fields, on the values that passed their own validation and were not excluded (a form
    excludes a field it refused: its old value is not compared with the new one)."""

    start_year: int | None
    end_year: int | None

    def clean_fields(self, exclude=None):
        errors: dict[str, list[Any]] = {}  # ValidationErrors from Django, our message (str)
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        skipped = set(exclude or ()) | set(errors)
        if not skipped & {"start_year", "end_year"}:
            message = order_error(self.start_year, self.end_year)
            if message:
                errors["end_year"] = [message]
        if errors:
            raise ValidationError(errors)
