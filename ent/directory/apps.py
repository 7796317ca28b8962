from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ent.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self):
        # The directory's writes bump the page cache themselves (pagescopes.py);
        # what allauth saves outside them is seen by the receivers connected here:
        # a User's save bumps the directory, and the signed-in person's cached row
        # is forgotten at any save or delete of it (auth_backends.py).
        from ent.directory import auth_backends, pagescopes, sessions

        pagescopes.connect()
        auth_backends.connect()
        # Logout and password changes end sessions and close their sockets.
        sessions.connect()
