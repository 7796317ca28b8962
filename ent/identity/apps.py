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

        # The cached login page lists the IdPs. They are written outside any
        # action of ours (allauth's SocialApp admin, our admin, the demo
        # command), so a signal is the one place that sees every write.
        from allauth.socialaccount.models import SocialApp
        from django.db.models.signals import post_delete, post_save

        from ent.identity.models import IdentityProvider

        for model in (IdentityProvider, SocialApp):
            for signal in (post_save, post_delete):
                signal.connect(
                    _login_page_changed, sender=model, dispatch_uid=f"ent.identity.login-page-{model.__name__}"
                )


def _login_page_changed(sender, **kwargs):
    from ent import pagecache
    from ent.directory.signin import LOGIN_PAGE_SCOPE

    pagecache.bump(LOGIN_PAGE_SCOPE)
