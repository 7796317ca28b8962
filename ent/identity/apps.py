from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "ent.identity"
    label = "identity"
    verbose_name = _("Federated sign-in")

    def ready(self):
        from allauth.account.signals import user_logged_in
        from django.contrib.auth.signals import user_logged_out

        from ent.identity import logout, mfa

        user_logged_in.connect(logout.on_user_logged_in, dispatch_uid="ent.identity.logout")
        user_logged_in.connect(mfa.on_user_logged_in, dispatch_uid="ent.identity.mfa")
        user_logged_out.connect(logout.on_user_logged_out, dispatch_uid="ent.identity.logout")
