from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    name = "media"
    label = "media"
    verbose_name = "Ressources"

    def ready(self):
        from ent.notify.kinds import KINDS, Kind, register

        # The store's own kind, declared with the registry's public register().
        if "fleet.repository_failed" not in KINDS:
            register(
                Kind(
                    "fleet.repository_failed",
                    _("Tablet repository out of date"),
                    can_be_turned_off=False,
                    context_keys=("fleet", "reason", "url"),
                )
            )
