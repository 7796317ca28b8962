"""Personal access tokens: what a person gives an app of their own choosing
(a phone client, a script) to act as them through the API.

Only a SHA-256 of the secret is kept: the secret is shown once, when it is made.
A hash without salt is enough here (unlike passwords): the secret is 32 random
bytes, nobody can guess it from its hash, and a lookup must cost one index read.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonalToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("person")
    )
    name = models.CharField(_("name"), max_length=80)
    # The first characters of the secret, shown in the list so a person can tell
    # two tokens apart (not enough to use one).
    prefix = models.CharField(_("start of the token"), max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
