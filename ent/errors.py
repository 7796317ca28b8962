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
