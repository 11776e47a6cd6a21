"""Spreadsheet round-trip of the tracking fields in the admin, for agglomeration staff only.

What is exported and how an import is validated live in commitments/services/spreadsheet.py;
each ModelAdmin names its resource in `resource_classes`.
"""

from import_export.admin import ImportExportMixin

from commitments.permissions import can_exchange_spreadsheets


class TrackingImportExportMixin(ImportExportMixin):
    # Errors about the whole file as French messages, never a traceback.
    import_template_name = "admin/commitments/spreadsheet_import.html"

    def has_import_permission(self, request):
        return can_exchange_spreadsheets(request.user) and super().has_import_permission(request)

    def has_export_permission(self, request):
        return can_exchange_spreadsheets(request.user) and super().has_export_permission(request)
