"""The Jinja2 environment of the templates in templates/jinja2/ (settings.TEMPLATES' second
engine): the pages whose trees of a few hundred nodes Django's template engine rendered slowly
(issue #15) and the fragments they share with the Django templates (includes/fragments.html,
called from Django templates by `{% fragment %}`, templatetags/fragments.py).

Invariants:
- a value printed by `{{ … }}` goes through Django's own steps (local time, localisation,
  Django's escaping: `&#x27;`, `&quot;`), so a piece of markup moved from a Django template to a
  Jinja2 one prints the same bytes (tests/commitments/views/test_rendered_pages_unchanged.py);
  autoescaping is on, and Django's safe strings (SafeString) are not escaped twice;
- an unknown name or attribute prints nothing, as in Django's templates (ChainableUndefined);
- filters are the functions of Django and of the project, not look-alikes: `abbr`,
  `paragraphs`, `without_final_colon`, `floatformat`, `pluralize`, `truncatechars`,
  `urlencode`, `date` (`truncatewords` is perer.lib.text.truncated_words, checked against
  Django's); `url(name, *args, **kwargs)` is `reverse`,
  `static(path)` the static file's address, `querystring(request.GET, key=value)` Django's
  `{% querystring %}`, `public_url(commitment)` its page's address, `links(node, "partners")`
  the partners (or axes) the tree loader attached, `status_labels` the statuses' wording.
"""

from functools import lru_cache
from html import escape as html_escape

from django.conf import settings
from django.template import defaultfilters, defaulttags
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime
from jinja2 import ChainableUndefined, Environment
from markupsafe import Markup

from commitments.enums import Status
from commitments.rendering.glossary_markup import abbr
from commitments.reporting.protocol_tree import links
from perer.lib.text import paragraphs, truncated_words, without_final_colon


def printed(value):
    """What Django's templates print for `value` (django.template.base.render_value_in_context).

    Text, most of what a page prints, takes the short way: Django's `escape` is `html.escape`
    marked safe."""
    if type(value) is str:
        return Markup(html_escape(value))
    if hasattr(value, "__html__"):
        return value
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return Markup(value)  # what localize() gives an int without grouping
    value = localize(template_localtime(value))
    if not isinstance(value, str):
        value = str(value)
    return conditional_escape(value)


def url(name, *args, **kwargs):
    """`{% url name arg… %}` / `{% url name key=value… %}`."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


@lru_cache
def _public_url_pattern(prefix, kind):
    marker = 2_147_483_647
    address = reverse("commitment_detail", kwargs={"kind": kind, "pk": marker})
    return address.replace(str(marker), "{}")


def public_url(commitment):
    """`commitment.get_public_url()` with one `reverse` per kind and script prefix for the
    process: the addresses differ only by the key (pages list hundreds of them)."""
    return _public_url_pattern(get_script_prefix(), commitment.kind).format(commitment.pk)


def querystring(query_dict, **changes):
    """`{% querystring key=value %}` on `query_dict` (the request's GET)."""
    return defaulttags.querystring(None, query_dict, **changes)


def environment(**options):
    options["undefined"] = ChainableUndefined
    options["finalize"] = printed
    env = Environment(**options)
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        public_url=public_url,
        links=links,
        status_labels=dict(Status.choices),
    )
    env.filters.update(
        abbr=abbr,
        paragraphs=paragraphs,
        without_final_colon=without_final_colon,
        floatformat=defaultfilters.floatformat,
        pluralize=defaultfilters.pluralize,
        truncatewords=truncated_words,
        truncatechars=defaultfilters.truncatechars,
        urlencode=defaultfilters.urlencode,
        date=defaultfilters.date,
    )
    return env
