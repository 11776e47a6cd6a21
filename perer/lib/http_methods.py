"""Which HTTP methods each page serves, and one answer for every other method.

`AllowedMethodsMiddleware` answers as soon as Django has found the page, before any other
middleware looks at the request (CSRF, the two-factor gate) and before the view and its
anonymous page cache, so that a page answers the same whether its cache is warm or cold:
- a method the page does not serve (TRACE and CONNECT on every page): 405 with `Allow`;
- OPTIONS: 200, empty, with `Allow`.
An address that matches no page gets its 404.

What a page serves (`served_methods`), OPTIONS aside:
- a function view declares it with this module's decorators (`require_safe`: GET and HEAD;
  `read_or_post`: also POST; `require_POST`), which also refuse the other methods themselves
  (a view called without the middleware); a function view without a declaration serves GET
  and HEAD;
- a class-based view (Django's, DRF's) serves the methods its class handles (a DRF viewset: the
  actions of its route), HEAD with GET;
- the admin's views (namespace "admin", Django's code, whose forms post) serve GET, HEAD and
  POST.
"""

from functools import wraps

from django.http import HttpResponse, HttpResponseNotAllowed

# The methods a page may serve, in the order `Allow` lists them.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ADMIN_NAMESPACE = "admin"
ADMIN_METHODS = ("GET", "HEAD", "POST")


def _allow_header(served):
    return ", ".join((*served, "OPTIONS"))


def not_allowed(request, served):
    """The 405 answer to a method outside `served`."""
    response = HttpResponseNotAllowed(
        [],
        content=(
            f"La méthode {request.method} n'est pas acceptée à cette adresse "
            f"(méthodes acceptées : {_allow_header(served)}).\n"
        ),
        content_type="text/plain; charset=utf-8",
    )
    response["Allow"] = _allow_header(served)
    return response


def allow_methods(*methods):
    """Decorator of a function view that serves `methods` only (see the module docstring)."""
    served = tuple(method for method in METHODS if method in methods)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in served:
                return not_allowed(request, served)
            return view(request, *args, **kwargs)

        # Read back by served_methods() below (a function attribute, unknown to the types).
        wrapper.allowed_methods = served  # type: ignore[attr-defined]
        return wrapper

    return decorator


require_safe = allow_methods("GET", "HEAD")
read_or_post = allow_methods("GET", "HEAD", "POST")
require_POST = allow_methods("POST")


def served_methods(match):
    """The methods served by the view of `match` (a ResolverMatch), OPTIONS aside."""
    view = match.func
    declared = getattr(view, "allowed_methods", None)
    if declared is not None:
        return tuple(declared)
    actions = getattr(view, "actions", None)  # a DRF viewset's route
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if actions:
        names = set(actions)
    elif view_class is not None:
        names = {name for name in view_class.http_method_names if hasattr(view_class, name)}
    elif ADMIN_NAMESPACE in match.namespaces:
        names = {method.lower() for method in ADMIN_METHODS}
    else:
        names = {"get"}
    if "get" in names:
        names.add("head")
    return tuple(method for method in METHODS if method.lower() in names)


class AllowedMethodsMiddleware:
    """Listed before every middleware that has a `process_view` (CSRF, the two-factor gate):
    it answers once Django has found the page and before anything looks at the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        served = served_methods(request.resolver_match)
        if request.method == "OPTIONS":
            response = HttpResponse(status=200)
            response["Allow"] = _allow_header(served)
            response["Content-Length"] = "0"
            return response
        if request.method not in served:
            return not_allowed(request, served)
        return None
