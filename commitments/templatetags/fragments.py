"""`{% fragment "name" arg=value … %}`: a macro of templates/jinja2/includes/fragments.html
called from a Django template, so that a piece of markup shared by Django and Jinja2 pages has
one implementation (rendering/jinja_env.py). Arguments are passed by name, as the macro's."""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()

FRAGMENTS = "includes/fragments.html"


def macro(name):
    """The macro `name` of the shared fragments (the template is cached by Jinja2's loader and
    reloaded when it changes with DEBUG on)."""
    return getattr(engines["jinja2"].env.get_template(FRAGMENTS).module, name)


@register.simple_tag
def fragment(name, **arguments):
    return mark_safe(macro(name)(**arguments))  # noqa: S308 - a Jinja2 macro's autoescaped output
