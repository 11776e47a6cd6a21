"""Spreadsheet round-trip of the tracking fields, for agglomeration staff only.

The resources (what is exported, how an import is validated and previewed) live in
commitments/resources.py; they are imported when first needed, so that the admin works
without them.
"""

from import_export.admin import ImportExportMixin

from commitments.permissions import is_agglomeration

RESOURCES = {
    "action": "ActionTrackingResource",
    "operationalobjective": "OperationalObjectiveTrackingResource",
}


def tracking_resource(model):
    """The tracking resource class of `model`, or None when it is not available."""
    try:
        from commitments import resources
    except ImportError:
        return None
    return getattr(resources, RESOURCES.get(model._meta.model_name, ""), None)


class TrackingImportExportMixin(ImportExportMixin):
    def get_resource_classes(self, request):
        resource = tracking_resource(self.model)
        return [resource] if resource is not None else []

    def has_import_permission(self, request):
        return (
            is_agglomeration(request.user)
            and tracking_resource(self.model) is not None
            and super().has_import_permission(request)
        )

    def has_export_permission(self, request):
        return (
            is_agglomeration(request.user)
            and tracking_resource(self.model) is not None
            and super().has_export_permission(request)
        )
