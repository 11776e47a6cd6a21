"""The public, read-only API (v1). Thin viewsets: querysets come from the models' QuerySet
methods, filters from commitments/filters.py (the same FilterSets as the HTML search)."""

import django_filters
from django.db.models import Prefetch
from django.urls import reverse as django_reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from commitments.api import serializers
from commitments.models import (
    Action,
    GlossaryTerm,
    OperationalObjective,
    Partner,
    Protocol,
    StrategicObjective,
    Thematic,
    TransversalAxis,
)
from commitments.reporting.filtersets import (
    ActionFilter,
    CommitmentFilterSet,
    OperationalObjectiveFilter,
    StrategicObjectiveFilter,
)
from commitments.reporting.numbering import commitment_paths, tree_paths
from commitments.reporting.protocol_tree import protocol_tree_queryset
from territories.models import Territory

# The shared FilterSets filter territories and thematics through methods, whose parameter type
# drf-spectacular cannot guess: both take slugs. This only annotates the schema.
extend_schema_field(
    {"type": "string", "description": "Territoire (identifiant d'URL, ex. « grigny »)"}
)(CommitmentFilterSet.filter_territories)
extend_schema_field(
    {"type": "string", "description": "Thématique (identifiant d'URL, ex. « emploi »)"}
)(CommitmentFilterSet.filter_thematic)


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


def list_docs(summary, serializer, description=LIST_DOC, filtered=False):
    responses = {200: serializer(many=True), 404: ERRORS_404, 429: ERRORS_429}
    if filtered:
        responses[400] = ERRORS_400
    return extend_schema(summary=summary, description=description, responses=responses)


def detail_docs(summary, serializer, description=DETAIL_DOC):
    responses = {200: serializer, 404: ERRORS_404, 429: ERRORS_429}
    return extend_schema(summary=summary, description=description, responses=responses)


class ReadOnlyViewSet(PublicAPIMixin, viewsets.ReadOnlyModelViewSet):
    # Any path segment reaches the view, so that "nov." gets the API's JSON 404, not the
    # portal's HTML page (the router's default stops at dots).
    lookup_value_regex = "[^/]+"


@extend_schema_view(
    list=list_docs("Territoires (agglomération puis communes)", serializers.TerritorySerializer),
    retrieve=detail_docs("Un territoire", serializers.TerritorySerializer),
)
class TerritoryViewSet(ReadOnlyViewSet):
    serializer_class = serializers.TerritorySerializer
    lookup_field = "slug"
    queryset = (
        Territory.objects.in_display_order()
        .select_related("parent")
        .prefetch_related(Prefetch("protocols", queryset=Protocol.objects.order_by("-start_year")))
    )


@extend_schema_view(
    list=list_docs("Thématiques communes à tous les protocoles", serializers.ThematicSerializer),
    retrieve=detail_docs("Une thématique", serializers.ThematicSerializer),
)
class ThematicViewSet(ReadOnlyViewSet):
    serializer_class = serializers.ThematicSerializer
    lookup_field = "slug"
    queryset = Thematic.objects.order_by("position", "pk")


@extend_schema_view(
    list=list_docs("Partenaires nommés par les protocoles", serializers.PartnerSerializer),
    retrieve=detail_docs("Un partenaire", serializers.PartnerSerializer),
)
class PartnerViewSet(ReadOnlyViewSet):
    serializer_class = serializers.PartnerSerializer
    lookup_field = "slug"
    queryset = Partner.objects.order_by("name", "pk")


@extend_schema_view(
    list=list_docs("Glossaire des sigles", serializers.GlossaryTermSerializer),
    retrieve=detail_docs("Un terme du glossaire", serializers.GlossaryTermSerializer),
)
class GlossaryViewSet(ReadOnlyViewSet):
    serializer_class = serializers.GlossaryTermSerializer
    lookup_field = "slug"
    queryset = GlossaryTerm.objects.order_by("term", "pk")


@extend_schema_view(
    list=list_docs("Axes transversaux", serializers.TransversalAxisSerializer),
    retrieve=detail_docs("Un axe transversal", serializers.TransversalAxisSerializer),
)
class TransversalAxisViewSet(ReadOnlyViewSet):
    serializer_class = serializers.TransversalAxisSerializer
    lookup_field = "slug"
    queryset = TransversalAxis.objects.order_by("position", "name", "pk")


class ProtocolFilter(django_filters.FilterSet):
    territoire = django_filters.ModelChoiceFilter(
        label="Territoire",
        queryset=Territory.objects.all(),
        to_field_name="slug",
        field_name="territory",
    )

    class Meta:
        model = Protocol
        fields = ["territoire"]


@extend_schema_view(
    list=list_docs(
        "Protocoles (sans leur contenu)",
        serializers.ProtocolSerializer,
        description="Filtre : territoire (identifiant d'URL).",
        filtered=True,
    ),
    retrieve=detail_docs(
        "Un protocole avec tout son contenu",
        serializers.ProtocolTreeSerializer,
        description="Sections thématiques → objectifs stratégiques → objectifs opérationnels → "
        "actions, dans l'ordre du document, en un seul appel.",
    ),
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


class NodeViewSet(ReadOnlyViewSet):
    """Flat lists of one level, in document order, filtered like /engagements/."""

    def get_queryset(self):
        return (
            self.model.objects.with_tree().prefetch_related("partners", "axes").in_document_order()
        )

    def _serialize(self, objects, many):
        # Paths of the protocols on this page only: four queries, whatever the page holds.
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


@extend_schema_view(
    list=list_docs(
        "Objectifs stratégiques",
        serializers.StrategicObjectiveSerializer,
        description=FILTER_DOC,
        filtered=True,
    ),
    retrieve=detail_docs("Un objectif stratégique", serializers.StrategicObjectiveSerializer),
)
class StrategicObjectiveViewSet(NodeViewSet):
    model = StrategicObjective
    serializer_class = serializers.StrategicObjectiveSerializer
    filterset_class = StrategicObjectiveFilter


@extend_schema_view(
    list=list_docs(
        "Objectifs opérationnels",
        serializers.OperationalObjectiveSerializer,
        description=FILTER_DOC,
        filtered=True,
    ),
    retrieve=detail_docs("Un objectif opérationnel", serializers.OperationalObjectiveSerializer),
)
class OperationalObjectiveViewSet(NodeViewSet):
    model = OperationalObjective
    serializer_class = serializers.OperationalObjectiveSerializer
    filterset_class = OperationalObjectiveFilter


@extend_schema_view(
    list=list_docs("Actions", serializers.ActionSerializer, description=FILTER_DOC, filtered=True),
    retrieve=detail_docs("Une action", serializers.ActionSerializer),
)
class ActionViewSet(NodeViewSet):
    model = Action
    serializer_class = serializers.ActionSerializer
    filterset_class = ActionFilter


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
                    "csv": request.build_absolute_uri("/donnees/engagements.csv"),
                    "json": request.build_absolute_uri("/donnees/engagements.json"),
                },
            }
        )
