from django.contrib import admin

from ent.notify import pagescopes as notify_pagescopes
from ent.notify.models import ChildMute, Delivery, Notification, NotificationSettings, Preference
from ent.pagecache import BumpsPagesAdmin


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("channel", "mode", "status", "due_at", "attempts", "sent_at", "error")
    readonly_fields = fields
    can_delete = False


@admin.register(Notification)
class NotificationAdmin(BumpsPagesAdmin, admin.ModelAdmin):
    list_display = ("id", "kind", "recipient", "child", "created_at", "read_at")
    list_filter = ("kind", "created_at", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("recipient__username", "recipient__last_name", "child__last_name")
    raw_id_fields = ("recipient", "child")
    list_select_related = ("recipient", "child")
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]

    # The admin writes outside the actions: it says whose badge its saves and
    # deletes change (ent/notify/pagescopes.py).
    def bump_pages(self, obj):
        notify_pagescopes.bump_recipients([obj.recipient_id])


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Where failures show: filter on status "failed" to see each one with its reason."""

    list_display = ("id", "notification", "channel", "mode", "status", "attempts", "due_at", "sent_at", "error")
    list_filter = ("status", "channel", "mode", "notification__kind", "due_at")
    search_fields = ("notification__recipient__username", "notification__recipient__last_name", "error")
    raw_id_fields = ("notification",)
    list_select_related = ("notification",)
    readonly_fields = ("claim", "created_at")
    date_hierarchy = "created_at"


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "frequency", "email", "sms")
    list_filter = ("kind", "frequency", "email", "sms")
    search_fields = ("user__username", "user__last_name")
    raw_id_fields = ("user",)


@admin.register(ChildMute)
class ChildMuteAdmin(admin.ModelAdmin):
    list_display = ("user", "child", "kind")
    list_filter = ("kind",)
    raw_id_fields = ("user", "child")


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "quiet_start", "quiet_end")
    raw_id_fields = ("user",)
