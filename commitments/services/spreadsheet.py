"""Spreadsheet round-trip of progress (django-import-export).

Staff export a territory's actions or operational objectives from the admin (XLSX or CSV),
cities fill the status, progress, pilot and years, staff import the file back: the admin shows
a preview of every change and applies nothing unless every row is valid. Only tracking fields
are importable; the text, the structure and the positions never change through an import.

A file is checked as a whole before any row is read (`file_problems`): the "id" column must be
there, each id may appear on one row only (two rows for one commitment would let the last one
win silently), and a file holds at most MAX_ROWS rows. A refused file gives a result holding
only these French messages (no row processed, nothing applied).
"""

import contextlib
import copy
import functools
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader

from commitments.enums import Status
from commitments.models import TRACKING_FIELDS, Action, OperationalObjective, Partner, Protocol
from commitments.rendering.flat_export import spreadsheet_safe
from commitments.selectors.numbering import commitment_paths
from commitments.services.content_changes import record_change
from commitments.services.progress_rule import prepare_update, save_prepared
from perer.lib.text import fold_accents

IMPORT_COMMENT = "Point enregistré par l'import d'un tableur de suivi."
# The largest file an import accepts (rows after the header); documented in README.
MAX_ROWS = 10_000
REQUIRED_COLUMNS = ("id",)
# Model fields → the resource's attributes, for the errors of the preview.
COLUMNS = {"status": "status", "progress": "progress"}


def _normalize(text):
    """Case- and accent-insensitive key: "Réalisé", "realise" and "REALISE" match."""
    return fold_accents(str(text).strip()).replace("_", " ")


def _is_blank(value):
    return value is None or str(value).strip() == ""


class StatusWidget(widgets.Widget):
    """Accepts the codes ("en_cours") and the French labels ("En cours"); exports the label."""

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            raise ValueError("Le statut est obligatoire.")
        key = _normalize(value)
        for choice in Status:
            if key in (_normalize(choice.value), _normalize(choice.label)):
                return choice.value
        allowed = ", ".join(f"« {choice.label} »" for choice in Status)
        raise ValueError(f"Statut « {value} » inconnu. Valeurs acceptées : {allowed}.")

    def render(self, value, obj=None, **kwargs):
        return Status(value).label if value else ""


def _to_int(value, what):
    text = str(value).strip().removesuffix("%").strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} « {value} » n'est pas un nombre entier.") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{what} « {value} » n'est pas un nombre entier.")
    return int(number)


class NumberWidget(widgets.Widget):
    """A whole number; an empty cell for a missing one."""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value


class ProgressWidget(NumberWidget):
    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            raise ValueError("L'avancement est obligatoire (un nombre de 0 à 100).")
        progress = _to_int(value, "L'avancement")
        if not 0 <= progress <= 100:
            raise ValueError(f"L'avancement doit être compris entre 0 et 100 (lu : {value}).")
        return progress


class YearWidget(NumberWidget):
    """A whole number; whether it is an acceptable year is the model's rule (models/years.py),
    checked with the row's other fields (`clean_model_instances`)."""

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        return _to_int(value, "L'année")


class PilotWidget(widgets.Widget):
    """The pilot partner, found by name, acronym or slug (one query per import)."""

    def __init__(self):
        super().__init__()
        self._partners = None

    def _lookup(self):
        if self._partners is None:
            self._partners = {}
            for partner in Partner.objects.all():
                for key in (partner.slug, partner.acronym, partner.name):
                    if key:
                        self._partners.setdefault(_normalize(key), partner)
        return self._partners

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        # An exported name may carry the apostrophe of spreadsheet_safe.
        partner = self._lookup().get(_normalize(str(value).removeprefix("'")))
        if partner is None:
            raise ValueError(
                f"Pilote « {value} » inconnu : indiquez le nom, le sigle ou l'identifiant d'un "
                "partenaire existant, ou laissez la cellule vide."
            )
        return partner

    def render(self, value, obj=None, **kwargs):
        return spreadsheet_safe(value.name) if value else ""


class IdWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return None if _is_blank(value) else _to_int(value, "L'identifiant")

    def render(self, value, obj=None, **kwargs):
        return value


def _copy_sharing_parents(instance, memo):
    """A copy of `instance` whose own field values are copied and whose cached related objects
    (its parents, its pilot) are shared: a deep copy for every field an import can change."""
    return copy.copy(instance)


def _tracking_values(instance):
    """The values of the fields a lead may change (TRACKING_FIELDS), to tell a changed row."""
    return tuple(
        getattr(instance, instance._meta.get_field(name).attname) for name in TRACKING_FIELDS
    )


class SpreadsheetRefused(Exception):
    """A file refused as a whole; its message is French and shown as is."""


def _number(count):
    return f"{count:,}".replace(",", "\u202f")


def file_problems(dataset):
    """What makes `dataset` unimportable as a whole, as French messages (empty: importable).
    Row numbers are those of the spreadsheet (the header is line 1)."""
    headers = [str(h).strip() if h is not None else "" for h in (dataset.headers or [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    problems = [
        f"Colonne « {column} » absente : repartez d'un export du suivi, qui la contient "
        "(l'import met à jour les lignes exportées, il n'en crée pas)."
        for column in missing
    ]
    if len(dataset) > MAX_ROWS:
        problems.append(
            f"Le fichier compte {_number(len(dataset))} lignes : l'import est limité à "
            f"{_number(MAX_ROWS)} lignes. Découpez-le en plusieurs fichiers."
        )
    if missing or problems:
        return problems
    lines: dict[int, list[int]] = {}  # id: the lines it appears on
    for line, raw in enumerate(dataset.get_col(headers.index("id")), start=2):
        with contextlib.suppress(ValueError):  # a bad id is reported on its row
            key = IdWidget().clean(raw)
            if key is not None:
                lines.setdefault(key, []).append(line)
    for key, found in lines.items():
        if len(found) > 1:
            where = ", ".join(str(n) for n in found[:-1]) + f" et {found[-1]}"
            problems.append(
                f"L'identifiant {key} apparaît sur plusieurs lignes ({where}) : gardez une "
                "seule ligne par engagement."
            )
    return problems


class TrackingInstanceLoader(ModelInstanceLoader):
    """Every row of the file in one query; ids that are not numbers are reported per row."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        ids = set()
        for raw in dataset["id"] if dataset is not None and "id" in dataset.headers else []:
            with contextlib.suppress(ValueError):  # reported on its row by get_instance
                ids.add(IdWidget().clean(raw))
        self.instances = self.get_queryset().in_bulk(ids - {None})

    def get_instance(self, row):
        return self.instances.get(IdWidget().clean(row.get("id")))


class PathField(fields.Field):
    """The read-only "chemin" column, also shown in the import preview (which reads fields,
    not the resource's dehydrate methods)."""

    def __init__(self, **kwargs):
        super().__init__(readonly=True, **kwargs)
        self.resource: TrackingResource | None = None  # set by the resource that owns it

    def export(self, instance, **kwargs):
        if instance is None:
            return ""
        assert self.resource is not None
        return self.resource.path_of(instance)


class TrackingResource(resources.ModelResource):
    """Shared by actions and operational objectives. Subclasses set Meta.model."""

    id = fields.Field(attribute="id", column_name="id", widget=IdWidget())
    territoire = fields.Field(attribute="territory__name", column_name="territoire", readonly=True)
    chemin = PathField(column_name="chemin")
    intitule = fields.Field(attribute="text", column_name="intitule", readonly=True)
    statut = fields.Field(attribute="status", column_name="statut", widget=StatusWidget())
    avancement = fields.Field(
        attribute="progress", column_name="avancement", widget=ProgressWidget()
    )
    pilote = fields.Field(attribute="pilot", column_name="pilote", widget=PilotWidget())
    annee_debut = fields.Field(
        attribute="start_year", column_name="annee_debut", widget=YearWidget()
    )
    annee_fin = fields.Field(attribute="end_year", column_name="annee_fin", widget=YearWidget())

    level_label = ""

    class Meta:
        fields = (
            "id",
            "territoire",
            "chemin",
            "intitule",
            "statut",
            "avancement",
            "pilote",
            "annee_debut",
            "annee_fin",
        )
        import_id_fields = ("id",)
        instance_loader_class = TrackingInstanceLoader
        use_transactions = True
        skip_unchanged = True
        report_skipped = True
        skip_diff = False
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._paths = None
        self.fields["chemin"].resource = self
        self._saved_pks = set()
        self._prepared = []  # validated updates, written after the last row

    # Export ---------------------------------------------------------------------------------

    def filter_export(self, queryset, **kwargs):
        queryset = super().filter_export(queryset, **kwargs).with_tree().in_document_order()
        protocol_ids = queryset.values_list(queryset.model.tree.protocol, flat=True).distinct()
        self._paths = commitment_paths(set(protocol_ids))
        return queryset

    def dehydrate_territoire(self, obj):
        return spreadsheet_safe(obj.territory.name)

    def dehydrate_intitule(self, obj):
        return spreadsheet_safe(obj.text)

    def path_of(self, obj):
        if self._paths is None:  # the import preview: paths of every protocol, 4 queries
            self._paths = commitment_paths(Protocol.objects.values_list("pk", flat=True))
        return self._paths.get((obj.level, obj.pk), "")

    # Import ---------------------------------------------------------------------------------

    def get_queryset(self):
        # with_tree: the preview shows each row's territory without a query per row.
        return self._meta.model.objects.with_tree()

    def get_instance(self, instance_loader, row):
        raw = row.get("id")
        if _is_blank(raw):
            raise ValidationError(
                "Identifiant manquant : l'import ne crée jamais de ligne, il met à jour les "
                "lignes exportées (colonne « id »)."
            )
        try:
            _to_int(raw, "L'identifiant")
        except ValueError as error:
            raise ValidationError(str(error)) from None
        instance = super().get_instance(instance_loader, row)
        if instance is not None:
            instance._loaded_tracking = _tracking_values(instance)
            # import-export deep-copies each row's instance to compare it after the import:
            # with the whole tree above it (with_tree) that was a third of a preview's time.
            # The field values are immutable; the parents can be shared by the copy.
            instance.__deepcopy__ = functools.partial(_copy_sharing_parents, instance)
        if instance is None:
            raise ValidationError(
                f"Identifiant {raw} inconnu : aucun(e) {self.level_label} ne porte cet "
                "identifiant. Repartez d'un export récent."
            )
        return instance

    def init_instance(self, row=None):
        # get_instance raises for unknown ids: reaching here would mean creating a row.
        raise ValidationError("L'import ne crée jamais de ligne.")

    def import_data(self, dataset, *args, rollback_on_validation_errors=True, **kwargs):
        problems = file_problems(dataset)
        if problems:
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            for problem in problems:
                result.append_base_error(self.get_error_result_class()(SpreadsheetRefused(problem)))
            return result
        # Nothing is applied unless the whole file is valid, at the preview and at the
        # confirmation step alike (the admin passes the flag only at the preview). One
        # transaction for the whole file, without import-export's savepoint per row (two campaign
        # trips per row): a row writes only after its validation, and a file with one invalid
        # row is rolled back whole, so no row ever needs rolling back alone. The preview runs
        # the same writes and is rolled back.
        dry_run = kwargs.pop("dry_run", False)
        kwargs.pop("use_transactions", None)
        with transaction.atomic():
            result = super().import_data(
                dataset,
                *args,
                dry_run=False,
                use_transactions=False,
                rollback_on_validation_errors=True,
                **kwargs,
            )
            if dry_run or result.has_errors() or result.has_validation_errors():
                transaction.set_rollback(True)
        return result

    def save_instance(self, instance, is_create, row, **kwargs):
        """A new status or progress in the file becomes a progress update dated today (the
        rule then sets them); the pilot and the years are saved as they are.

        The updates are validated here, row by row (their errors go to the row), and written
        together after the last row (`after_import`: one INSERT and one UPDATE by the rule,
        through progress_rule.save_prepared); the preview writes none. A row whose pilot and
        years did not change is not saved at all."""
        reported = (instance.status, instance.progress)
        instance.status, instance.progress = instance._rule_values
        if self._tracking_changed(instance):
            super().save_instance(instance, is_create, row, **kwargs)
        if reported == instance._rule_values:
            return
        try:
            update = prepare_update(
                instance,
                status=reported[0],
                progress=reported[1],
                date=timezone.localdate(),
                comment=IMPORT_COMMENT,
                author=kwargs.get("user"),
            )
        except ValidationError as error:
            # The preview lists the row's errors under the file's column names.
            raise ValidationError(
                {
                    COLUMNS.get(name, NON_FIELD_ERRORS): errors
                    for name, errors in error.message_dict.items()
                }
            ) from None
        self._prepared.append(update)
        # Dated today and recorded last, the update will be the latest (no update is dated in
        # the future): the preview's diff shows the values the rule will set.
        instance.status, instance.progress = reported
        instance._remember_rule_values()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """A row whose pilot and years did not change has nothing of the commitment's own to
        validate (its new status and progress are an update, validated by prepare_update):
        only the file's errors are reported. Other rows get the model's full validation."""
        if self._tracking_changed(instance):
            return super().validate_instance(instance, import_validation_errors, validate_unique)
        if import_validation_errors:
            raise ValidationError(import_validation_errors)
        return None

    @staticmethod
    def _tracking_changed(instance):
        loaded = getattr(instance, "_loaded_tracking", None)
        return loaded is None or loaded != _tracking_values(instance)

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        self._saved_pks.add(instance.pk)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not (kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors()):
            save_prepared(self._prepared, kwargs.get("user"))
        self._prepared = []
        # The pilots and years saved row by row (the updates' change is recorded by
        # save_prepared). The preview runs this too, and is rolled back with it.
        if self._saved_pks and not kwargs.get("dry_run"):
            record_change(self._meta.model.objects.filter(pk__in=self._saved_pks))


class ActionTrackingResource(TrackingResource):
    level_label = "action"

    class Meta(TrackingResource.Meta):
        model = Action
        name = "Suivi des actions"


class OperationalObjectiveTrackingResource(TrackingResource):
    level_label = "objectif opérationnel"

    class Meta(TrackingResource.Meta):
        model = OperationalObjective
        name = "Suivi des objectifs opérationnels"
