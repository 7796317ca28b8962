from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "ent.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        from ent.notify import pagescopes

        pagescopes.connect()
