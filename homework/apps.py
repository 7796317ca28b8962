from django.apps import AppConfig


class HomeworkConfig(AppConfig):
    name = "homework"
    verbose_name = "Cahier de textes"

    def ready(self):
        from homework import pagescopes

        pagescopes.connect()
