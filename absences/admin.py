from django.contrib import admin

from absences.models import Reason, RetentionPolicy


@admin.register(Reason)
class ReasonAdmin(admin.ModelAdmin):
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


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["territory", "years_after"]
