from django.contrib import admin

from absences import pagescopes
from absences.models import Reason, RetentionPolicy
from ent.pagecache import BumpsPagesAdmin


@admin.register(Reason)
class ReasonAdmin(BumpsPagesAdmin, admin.ModelAdmin):
    list_display = [
        "label",
        "label_en",
        "school",
        "counts_as_justified",
        "needs_proof",
        "is_private",
        "settles",
        "is_active",
    ]
    list_filter = ["school", "is_private", "is_active"]

    def bump_pages(self, obj):
        pagescopes.bump_reasons(obj)


# The nightly purge's policy: shown on no cached page (no bump_pages).
@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["territory", "years_after"]
