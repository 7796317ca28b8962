from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    name = "absences"
    verbose_name = "Absences"

    def ready(self):
        # Bulk writes (bulk_create, bulk_update) bump the page cache in actions.
        from absences import pagescopes

        pagescopes.connect()
