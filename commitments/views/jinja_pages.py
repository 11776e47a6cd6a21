"""A page whose body is a Jinja2 template (templates/jinja2/, rendering/jinja_env.py), set in
the site's layout (templates/base.html, a Django template) through templates/jinja_page.html.

The Jinja2 template defines the blocks `title`, `head`, `content` and `scripts` (any of them);
each is rendered with the view's context and the request, then the layout is rendered with the
same context (breadcrumbs, messages, the navigation) and the blocks. No query of its own.
"""

from django.shortcuts import render
from django.template import engines
from markupsafe import Markup


def render_page(request, template_name, context, status=None):
    template = engines["jinja2"].env.get_template(template_name)
    page_context = template.new_context({**context, "request": request})
    blocks = {name: Markup("".join(block(page_context))) for name, block in template.blocks.items()}
    return render(request, "jinja_page.html", {**context, "blocks": blocks}, status=status)
