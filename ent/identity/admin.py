"""Territory administrators declare their IdPs here: first allauth's "Social
application" (provider openid_connect or saml, with the client id/secret or
the SAML metadata URL / entity id in its settings), then an identity provider
row that says whose it is, who may use it and what each attribute means."""

from django.contrib import admin

from ent.identity.models import AppPolicy, IdentityProvider, PendingLink


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ("label", "territory", "audience", "allows_pupils", "allows_parents", "allows_staff", "is_active")
    list_filter = ("territory", "audience", "is_active")
    autocomplete_fields = ()


@admin.register(PendingLink)
class PendingLinkAdmin(admin.ModelAdmin):
    list_display = ("__str__", "provider", "school", "reason", "status", "last_seen_at")
    list_filter = ("status", "reason", "provider")
    readonly_fields = [f.name for f in PendingLink._meta.fields] + ["candidates"]

    def has_add_permission(self, request):
        # Entries come from sign-ins only; the office resolves them in the ENT.
        return False


@admin.register(AppPolicy)
class AppPolicyAdmin(admin.ModelAdmin):
    """Next to allauth's OpenID "Client" (redirect URIs, scopes, skip consent
    for approved apps): which territory approved the app and who may use it."""

    list_display = ("client", "territory", "allows_pupils", "allows_parents", "allows_staff", "pairwise_subject")
    list_filter = ("territory",)
