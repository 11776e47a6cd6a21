"""The admin's writes go through the services, which apply the rules and record the change of
content themselves (services/content_changes.py): no save or deletion of the protocols' data
happens in a ModelAdmin.

`ElementWritesMixin` (the protocol tree's ModelAdmins and the reference lists'): the change
form's save (and simple-history's revert, which calls save_model), the deletions, and the rows
of the inlines — children added, changed or deleted on their parent's form
(services/elements.py), progress updates deleted from a commitment's timeline
(services/progress_rule.delete_update: the commitment follows the update before it). Put it
last before the admin base class: the mixins before it check the roles, then call it.
"""

from commitments.models import ProgressUpdate
from commitments.services.elements import delete_element, delete_elements, save_element
from commitments.services.progress_rule import delete_update


class ElementWritesMixin:
    def save_model(self, request, obj, form, change):
        save_element(obj, by=request.user)

    def delete_model(self, request, obj):
        delete_element(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        delete_elements(queryset)

    def save_formset(self, request, form, formset, change):
        rows = formset.save(commit=False)
        delete = delete_update if formset.model is ProgressUpdate else delete_element
        for obj in formset.deleted_objects:
            delete(obj, by=request.user)
        for obj in rows:
            save_element(obj, by=request.user)
        formset.save_m2m()
