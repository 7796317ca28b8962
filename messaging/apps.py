from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messagerie"

    def ready(self):
        # Messaging rides on the project's one socket: plug its actions in.
        from messaging import consumers

        consumers.register()
