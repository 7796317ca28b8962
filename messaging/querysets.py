"""visible_to(user) for messaging lists. Who may *write* to whom is the policy in
messaging/access.py; these only say what a person may read."""

from django.db import models
from django.db.models import Q


def _authenticated(user):
    return getattr(user, "is_authenticated", False) and user.pk is not None


class ConversationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only the conversations one takes part in: nobody reads others' mail,
        not even direction (moderation shows reported messages, see access.py)."""
        if not _authenticated(user):
            return self.none()
        return self.filter(participants__user=user)


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not _authenticated(user):
            return self.none()
        return self.filter(conversation__participants__user=user)


class AnnouncementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Its author, its recipients, and the staff of its school (who answer for
        what the school sends)."""
        if not _authenticated(user):
            return self.none()
        from messaging.models import AnnouncementRecipient

        q = Q(author=user) | Q(id__in=AnnouncementRecipient.objects.filter(user=user).values("announcement_id"))
        staff_schools = user.roles.staff_school_ids()
        if staff_schools:
            q |= Q(school_id__in=staff_schools)
        return self.filter(q)
