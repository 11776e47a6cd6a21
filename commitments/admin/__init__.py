"""The admin of the PERER portal, organised by the protocols' hierarchy.

Agglomeration staff edit everything; city project leads report progress on their own
territories' commitments. The role rules are in commitments/permissions.py; what the admin
writes beyond a plain form save goes through commitments/services/.
"""

from django.contrib import admin

from commitments.admin import (  # noqa: F401 (registration)
    campaign_admin,
    edition_admin,
    indicator_admin,
    job_admin,
    node_admin,
    protocol_admin,
    reference_admin,
    update_admin,
)

admin.site.site_header = "PERER Grand Paris Sud — administration"
admin.site.site_title = "Administration PERER"
admin.site.index_title = "Protocoles, engagements et suivi"
