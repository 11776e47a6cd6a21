"""Public forms rendered by Jinja2: Django's own form templates (django/forms/jinja2/), through
the project's Jinja2 environment (the `environment` option of settings.TEMPLATES' Jinja2
engine, commitments/rendering/jinja_env.py), which prints the same bytes as Django's templates.

Django's template renderer took a template per widget and per option, the largest part of the
search page's filters (issue #15). The admin keeps Django's renderer: its widgets are Django
templates. One renderer for the process: its engine (and its compiled templates) is built once.
"""

from functools import cached_property
from pathlib import Path

import django.forms
from django.conf import settings
from django.forms.renderers import Jinja2


class JinjaFormRenderer(Jinja2):
    @cached_property
    def engine(self):
        options = next(
            engine["OPTIONS"]
            for engine in settings.TEMPLATES
            if engine["BACKEND"].endswith("Jinja2")
        )
        return self.backend(
            {
                "APP_DIRS": False,
                "DIRS": [Path(django.forms.__file__).parent / "jinja2"],
                "NAME": "perer-forms",
                "OPTIONS": options,
            }
        )


RENDERER = JinjaFormRenderer()


class PublicForm(django.forms.Form):
    """A form of the public pages (search filters, thematic comparison)."""

    default_renderer = RENDERER
