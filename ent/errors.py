"""Domain errors, each with a translated message a person can read."""

from django.utils.translation import gettext_lazy as _


class EntError(Exception):
    default_message = _("The request could not be completed.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class InvalidActivationCode(EntError):
    default_message = _("This username and code do not match, or the code has expired or was already used.")


class StorageUnavailable(EntError):
    default_message = _("The file store is unavailable right now. Nothing was saved; please try again later.")


# Files (ent/files.py) ----------------------------------------------------------
# One family for every upload surface: homework's FileRejected and media's
# FileRefused were twins; homework now raises this one (media can switch later).


class FileRefused(EntError):
    default_message = _("This file was refused.")


class FileNotOffered(EntError):
    """A stored file that may not be downloaded (yet, or ever)."""


class FileHeld(FileNotOffered):
    default_message = _(
        "This file is being checked by the antivirus. It can be opened in a few minutes: please try again later."
    )


class FileInfected(FileNotOffered):
    default_message = _("The antivirus found a threat in this file: it was deleted and can never be opened.")
