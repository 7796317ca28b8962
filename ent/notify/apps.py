from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "ent.notify"
    label = "notify"
    verbose_name = "Notifications"
