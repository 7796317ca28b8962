from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from ent import phones
from ent.directory import models, pagescopes
from ent.pagecache import BumpsPagesAdmin


class DirectoryAdmin(BumpsPagesAdmin):
    """The admin writes outside the actions: its saves and deletes (inlines and
    the Group members' m2m included, all in the change view's transaction) say
    they touch the directory, as the actions do (ent/directory/pagescopes.py)."""

    def bump_pages(self, obj):
        pagescopes.bump_directory(obj)


class UserChangeAdminForm(UserChangeForm):
    # The number is stored in E.164 (ent/phones.py), as imports store it.
    phone = phones.PhoneNumberField(label=_("mobile phone"), required=False, max_length=32)


@admin.register(models.User)
class UserAdmin(DirectoryAdmin, BaseUserAdmin):
    form = UserChangeAdminForm
    list_display = ("username", "last_name", "first_name", "email", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "staff_roles__role", "staff_roles__school")
    search_fields = ("username", "first_name", "last_name", "email", "external_id")
    fieldsets = BaseUserAdmin.fieldsets + ((_("School"), {"fields": ("phone", "external_id", "birth_date")}),)


@admin.register(models.Territory)
class TerritoryAdmin(DirectoryAdmin, admin.ModelAdmin):
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(models.TerritoryAdmin)
class TerritoryAdminRoleAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("user", "territory")
    list_filter = ("territory",)
    search_fields = ("user__username", "user__last_name")
    autocomplete_fields = ("user",)


@admin.register(models.School)
class SchoolAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("name", "uai", "commune", "kind", "holiday_zone", "territory")
    list_filter = ("kind", "holiday_zone", "territory", "commune")
    search_fields = ("name", "uai", "commune")


# Closed days and activation codes show on no cached page (no bump_pages).
@admin.register(models.ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("school", "date", "end_date", "label")
    list_filter = ("school",)
    date_hierarchy = "date"


@admin.register(models.SchoolYear)
class SchoolYearAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("school", "name", "starts_on", "ends_on", "is_current", "is_closed")
    list_filter = ("is_current", "is_closed", "school")


@admin.register(models.SchoolClass)
class SchoolClassAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("name", "level", "school", "year")
    list_filter = ("school", "year__is_current", "level")
    search_fields = ("name", "school__name")


@admin.register(models.Group)
class GroupAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("name", "school", "year")
    list_filter = ("school",)
    search_fields = ("name",)
    autocomplete_fields = ("members",)


@admin.register(models.Subject)
class SubjectAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("name", "code", "school")
    list_filter = ("school",)
    search_fields = ("name", "code")


@admin.register(models.Enrollment)
class EnrollmentAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("pupil", "school_class", "left_on")
    list_filter = ("school_class__school", "school_class")
    search_fields = ("pupil__username", "pupil__last_name", "school_class__name")
    autocomplete_fields = ("pupil",)


@admin.register(models.Guardianship)
class GuardianshipAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("guardian", "pupil", "is_legal_guardian", "may_justify_absences", "receives_messages")
    list_filter = ("is_legal_guardian", "may_justify_absences", "receives_messages")
    search_fields = ("guardian__last_name", "guardian__username", "pupil__last_name", "pupil__username")
    autocomplete_fields = ("guardian", "pupil")


@admin.register(models.TeachingAssignment)
class TeachingAssignmentAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("teacher", "school_class", "group", "subject")
    list_filter = ("school_class__school", "subject")
    search_fields = ("teacher__last_name", "teacher__username")
    autocomplete_fields = ("teacher",)


@admin.register(models.StaffRole)
class StaffRoleAdmin(DirectoryAdmin, admin.ModelAdmin):
    list_display = ("user", "school", "role")
    list_filter = ("role", "school")
    search_fields = ("user__last_name", "user__username")
    autocomplete_fields = ("user",)


@admin.register(models.ActivationCode)
class ActivationCodeAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "used_at", "revoked_at")
    search_fields = ("user__username",)
    readonly_fields = ("code_hash",)
