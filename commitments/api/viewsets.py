"""The public, read-only API (v1), routed in perer/urls.py. Thin viewsets: querysets come from
the models' QuerySet methods and selectors/protocol_tree.py, filters from
selectors/filtersets.py (the same FilterSets as the HTML search). Every list costs a constant
number of queries whatever the page size."""

from django.db.models import Prefetch
from django.urls import reverse as django_reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from commitments.api import serializers
from commitments.models import (
    Edition,
    GlossaryTerm,
    Partner,
    Protocol,
    Thematic,
    TransversalAxis,
)
from commitments.selectors.filtersets import (
    ActionFilter,
    CommitmentFilterSet,
    IndicatorFilter,
    OperationalObjectiveFilter,
    ProtocolFilter,
    StrategicObjectiveFilter,
)
from commitments.selectors.indicator_data import indicator_paths, indicators_with_values
from commitments.selectors.numbering import commitment_paths, tree_paths
from commitments.selectors.protocol_tree import protocol_tree_queryset
from territories.models import Territory

# The shared FilterSets filter territories and thematics through methods, whose parameter type
# drf-spectacular cannot guess: both take slugs. This only annotates the schema.
extend_schema_field(
    {"type": "string", "description": "Territoire (identifiant d'URL, ex. « grigny »)"}
)(CommitmentFilterSet.filter_territories)
extend_schema_field(
    {"type": "string", "description": "Thématique (identifiant d'URL, ex. « emploi »)"}
)(CommitmentFilterSet.filter_thematic)
extend_schema_field(
    {"type": "string", "description": "Territoire (identifiant d'URL, ex. « grigny »)"}
)(IndicatorFilter.filter_territories)
extend_schema_field(
    {
        "type": "string",
        "description": "Thématique de l'engagement mesuré (identifiant d'URL, ex. « emploi »)",
    }
)(IndicatorFilter.filter_thematic)


class AnonThrottle(AnonRateThrottle):
    """The configured anonymous rate, read at each request (so tests can override it)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class PublicAPIMixin:
    # Public and read-only: no session or login, everyone is throttled as anonymous.
    authentication_classes = []
    throttle_classes = [AnonThrottle]

    def throttled(self, request, wait):
        seconds = max(1, round(wait or 1))
        raise exceptions.Throttled(
            wait=wait,
            detail=(
                f"Trop de requêtes : la limite pour un usage anonyme est atteinte. Réessayez dans "
                f"{seconds} seconde{'s' if seconds > 1 else ''}. Pour tout récupérer d'un coup, "
                "téléchargez l'export complet (/donnees/engagements.csv ou .json)."
            ),
        )


DETAIL = inline_serializer("Error", {"detail": drf_serializers.CharField()})
ERRORS_404 = OpenApiResponse(DETAIL, description="Ressource ou page inconnue.")
ERRORS_429 = OpenApiResponse(DETAIL, description="Trop de requêtes (limite anonyme atteinte).")
ERRORS_400 = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    description="Paramètre de filtre invalide : un message par paramètre fautif.",
)


# Explicit descriptions, so that the schema never shows the views' (English) docstrings.
LIST_DOC = "Liste paginée (50 résultats par page), dans un ordre stable."
DETAIL_DOC = "Un élément, désigné par son identifiant."


def documented(list_summary, detail_summary, serializer, **options):
    """The OpenAPI documentation of a read-only viewset's two actions.

    Options: `description` of the list, `filtered` (the list answers 400 on a bad filter),
    `detail_serializer` and `detail_description` when the detail differs from the list.
    """
    list_responses = {200: serializer(many=True), 404: ERRORS_404, 429: ERRORS_429}
    if options.get("filtered"):
        list_responses[400] = ERRORS_400
    detail = options.get("detail_serializer", serializer)
    return extend_schema_view(
        list=extend_schema(
            summary=list_summary,
            description=options.get("description", LIST_DOC),
            responses=list_responses,
        ),
        retrieve=extend_schema(
            summary=detail_summary,
            description=options.get("detail_description", DETAIL_DOC),
            responses={200: detail, 404: ERRORS_404, 429: ERRORS_429},
        ),
    )


class ReadOnlyViewSet(PublicAPIMixin, viewsets.ReadOnlyModelViewSet):
    # Any path segment reaches the view, so that "nov." gets the API's JSON 404, not the
    # portal's HTML page (the router's default stops at dots).
    lookup_value_regex = "[^/]+"


class SlugViewSet(ReadOnlyViewSet):
    """The territories and the reference lists, addressed by slug."""

    lookup_field = "slug"


@documented(
    "Territoires (agglomération puis communes)", "Un territoire", serializers.TerritorySerializer
)
class TerritoryViewSet(SlugViewSet):
    serializer_class = serializers.TerritorySerializer
    queryset = (
        Territory.objects.in_display_order()
        .select_related("parent")
        .prefetch_related(Prefetch("protocols", queryset=Protocol.objects.order_by("-start_year")))
    )


@documented(
    "Thématiques communes à tous les protocoles", "Une thématique", serializers.ThematicSerializer
)
class ThematicViewSet(SlugViewSet):
    serializer_class = serializers.ThematicSerializer
    queryset = Thematic.objects.order_by("position", "pk")


@documented("Partenaires nommés par les protocoles", "Un partenaire", serializers.PartnerSerializer)
class PartnerViewSet(SlugViewSet):
    serializer_class = serializers.PartnerSerializer
    queryset = Partner.objects.order_by("name", "pk")


@documented("Glossaire des sigles", "Un terme du glossaire", serializers.GlossaryTermSerializer)
class GlossaryViewSet(SlugViewSet):
    serializer_class = serializers.GlossaryTermSerializer
    queryset = GlossaryTerm.objects.order_by("term", "pk")


@documented("Axes transversaux", "Un axe transversal", serializers.TransversalAxisSerializer)
class TransversalAxisViewSet(SlugViewSet):
    serializer_class = serializers.TransversalAxisSerializer
    queryset = TransversalAxis.objects.order_by("position", "name", "pk")


@documented(
    "Protocoles (sans leur contenu)",
    "Un protocole avec tout son contenu",
    serializers.ProtocolSerializer,
    description="Filtre : territoire (identifiant d'URL).",
    filtered=True,
    detail_serializer=serializers.ProtocolTreeSerializer,
    detail_description="Sections thématiques → objectifs stratégiques → objectifs "
    "opérationnels → actions, dans l'ordre du document, en un seul appel.",
)
class ProtocolViewSet(ReadOnlyViewSet):
    filterset_class = ProtocolFilter

    def get_queryset(self):
        if self.action == "retrieve":
            return protocol_tree_queryset()
        return Protocol.objects.select_related("territory").order_by(
            "territory__position", "-start_year", "pk"
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ProtocolTreeSerializer
        return serializers.ProtocolSerializer

    def retrieve(self, request, *args, **kwargs):
        protocol = self.get_object()
        context = {
            **self.get_serializer_context(),
            "paths": tree_paths(protocol),
            "territory_slug": protocol.territory.slug,
        }
        return Response(serializers.ProtocolTreeSerializer(protocol, context=context).data)

    # Editions (models/edition.py): read-only like everything here; two queries each (the
    # protocol with its territory, then its editions).

    def _edition_context(self, protocol, number=None):
        return {
            **self.get_serializer_context(),
            "territory_slug": protocol.territory.slug,
            "number": number,
        }

    @extend_schema(
        summary="Éditions d'un protocole",
        description="Les éditions publiées du protocole (texte adopté, avenants), de la "
        "première à la dernière, sans leur texte : `url` mène au texte complet de chacune. "
        "Non paginé.",
        responses={200: serializers.EditionSerializer(many=True), 404: ERRORS_404, 429: ERRORS_429},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="editions",
        url_name="edition-list",
        filter_backends=[],
        pagination_class=None,
    )
    def editions(self, request, *args, **kwargs):
        protocol = self.get_object()
        editions = Edition.objects.for_protocol(protocol).without_snapshot().order_by("number")
        context = self._edition_context(protocol)
        return Response(serializers.EditionSerializer(editions, many=True, context=context).data)

    @extend_schema(
        summary="Une édition d'un protocole, avec tout son texte",
        description="Le texte tel que l'édition l'a figé, dans la forme du protocole complet "
        "(`/api/v1/protocoles/<id>/`) : mêmes champs pour le texte, sans le suivi (statut, "
        "avancement, pilote, années) ; partenaires et axes par leur nom. `edition` dit de "
        "quelle édition il s'agit.",
        parameters=[
            OpenApiParameter(
                "number", int, OpenApiParameter.PATH, description="Numéro de l'édition (1, 2…)."
            )
        ],
        responses={200: serializers.EditionTreeSerializer, 404: ERRORS_404, 429: ERRORS_429},
    )
    @action(
        detail=True,
        methods=["get"],
        # Any segment reaches the view, so that « x » gets the API's JSON 404 (as the lookups).
        url_path=r"editions/(?P<number>[^/]+)",
        url_name="edition-detail",
        filter_backends=[],
        pagination_class=None,
    )
    def edition(self, request, *args, number=None, **kwargs):
        protocol = self.get_object()
        if not (number.isascii() and number.isdigit() and len(number) <= 9):
            raise exceptions.NotFound(f"« {number} » n'est pas un numéro d'édition (1, 2…).")
        edition = Edition.objects.for_protocol(protocol).numbered(int(number)).first()
        if edition is None:
            raise exceptions.NotFound(
                f"Le protocole {protocol.pk} n'a pas d'édition n° {int(number)}."
            )
        context = self._edition_context(protocol, edition.number)
        return Response(serializers.EditionTreeSerializer(edition, context=context).data)


class NodeViewSet(ReadOnlyViewSet):
    """Flat lists of one level, in document order, filtered like /engagements/ (the same
    FilterSet: `filterset_class` is the level's)."""

    def get_queryset(self):
        model = self.filterset_class._meta.model
        return model.objects.with_tree().prefetch_related("partners", "axes").in_document_order()

    def _serialize(self, objects, many):
        # Numbers of the protocols on this page only: four queries, whatever the page holds.
        nodes = objects if many else [objects]
        protocol_ids = {node.section.protocol_id for node in nodes}
        context = {**self.get_serializer_context(), "paths": commitment_paths(protocol_ids)}
        return self.get_serializer_class()(objects, many=many, context=context).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._serialize(self.get_object(), many=False))


FILTER_DOC = (
    "Mêmes paramètres que la recherche du portail (/engagements/) : territoire (plusieurs "
    "possibles), thematique, statut, partenaire, axe (identifiants d'URL) et q (texte). "
    "Une valeur inconnue donne une erreur 400 qui nomme le paramètre."
)


def documented_level(list_summary, detail_summary, serializer):
    return documented(
        list_summary, detail_summary, serializer, description=FILTER_DOC, filtered=True
    )


@documented_level(
    "Objectifs stratégiques", "Un objectif stratégique", serializers.StrategicObjectiveSerializer
)
class StrategicObjectiveViewSet(NodeViewSet):
    serializer_class = serializers.StrategicObjectiveSerializer
    filterset_class = StrategicObjectiveFilter


@documented_level(
    "Objectifs opérationnels",
    "Un objectif opérationnel",
    serializers.OperationalObjectiveSerializer,
)
class OperationalObjectiveViewSet(NodeViewSet):
    serializer_class = serializers.OperationalObjectiveSerializer
    filterset_class = OperationalObjectiveFilter


@documented_level("Actions", "Une action", serializers.ActionSerializer)
class ActionViewSet(NodeViewSet):
    serializer_class = serializers.ActionSerializer
    filterset_class = ActionFilter


@documented(
    "Indicateurs, avec leurs valeurs annuelles",
    "Un indicateur, avec ses valeurs annuelles",
    serializers.IndicatorSerializer,
    description="Les indicateurs des protocoles : ce qui est mesuré (code commun aux "
    "territoires qui mesurent la même chose, nom, unité), le territoire et l'engagement "
    "mesuré, la valeur de référence, la cible et les valeurs de chaque année (`values`, de "
    "la plus ancienne à la plus récente). Filtres : territoire (plusieurs possibles), code, "
    "thematique (de l'engagement mesuré). Une valeur inconnue donne une erreur 400 qui nomme "
    "le paramètre. Les mêmes données, une ligne par valeur : /donnees/indicateurs.csv.",
    filtered=True,
)
class IndicatorViewSet(ReadOnlyViewSet):
    """Two queries for the indicators and their values, four for the commitments' paths (of
    the protocols on the page), plus the count and the filters' own: constant."""

    serializer_class = serializers.IndicatorSerializer
    filterset_class = IndicatorFilter
    queryset = indicators_with_values()

    def _serialize(self, objects, many):
        indicators = objects if many else [objects]
        context = {**self.get_serializer_context(), "paths": indicator_paths(indicators)}
        return self.get_serializer_class()(objects, many=many, context=context).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._serialize(self.get_object(), many=False))


@extend_schema(exclude=True)
class IndexView(PublicAPIMixin, APIView):
    """/api/: where to go from here."""

    def get(self, request):
        return Response(
            {
                "v1": reverse("v1:api-root", request=request),
                "schema": request.build_absolute_uri(django_reverse("api-schema")),
                "docs": request.build_absolute_uri(django_reverse("api-docs")),
                "exports": {
                    format: request.build_absolute_uri(
                        django_reverse("export_commitments", kwargs={"format": format})
                    )
                    for format in ("csv", "json")
                },
                "indicator_exports": {
                    format: request.build_absolute_uri(
                        django_reverse("export_indicators", kwargs={"format": format})
                    )
                    for format in ("csv", "json")
                },
            }
        )
