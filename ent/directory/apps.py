from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ent.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self):
        # Bulk writes (imports, year rollover) bump the page cache themselves.
        from ent.directory import pagescopes

        pagescopes.connect()
