"""The admin of the PERER portal, organised by the protocols' hierarchy.

Agglomeration staff edit everything; city project leads report progress on their own
territories' commitments. The role rules are in commitments/permissions.py.
"""

from django.contrib import admin

from commitments.admin import protocol, reference, tracking, tree  # noqa: F401 (registration)

admin.site.site_header = "PERER Grand Paris Sud — administration"
admin.site.site_title = "Administration PERER"
admin.site.index_title = "Protocoles, engagements et suivi"
