from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ent.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self):
        # Bulk writes (imports, year rollover, blocking accounts) bump the page
        # cache and forget cached users themselves.
        from ent.directory import auth_backends, pagescopes, sessions

        pagescopes.connect()
        auth_backends.connect()
        # Logout and password changes end sessions and close their sockets.
        sessions.connect()
