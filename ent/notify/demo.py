"""Demo notifications for `seed_demo`: a few realistic entries in each demo
person's feed. In-app only (no email or SMS to made-up people); running it twice
adds nothing."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ent.notify.api import encode_context
from ent.notify.models import Notification

DEMO_MARK = "demo"


def _plan(user):
    roles = user.roles
    today = timezone.localdate()
    plan = []
    if roles.is_parent:
        from ent.directory.models import User

        for child in User.objects.children_of(user).order_by("first_name")[:2]:
            plan += [
                (
                    "homework.published",
                    child,
                    {
                        "title": "Exercices 3 et 4 page 52",
                        "subject": "Mathématiques",
                        "due_date": today + timedelta(days=2),
                        "teacher_name": "Mme Leroy",
                    },
                ),
                ("absence.unexplained", child, {"date": today - timedelta(days=1), "period": "matin"}),
            ]
        plan.append(
            (
                "announcement.new",
                None,
                {
                    "title": "Sortie au musée le 12",
                    "author_name": "La direction",
                    "excerpt": "Merci de rendre l'autorisation signée avant vendredi.",
                },
            )
        )
    if roles.is_pupil:
        plan += [
            ("homework.due_tomorrow", None, {"count": 2, "titles": ["Rédaction", "Leçon sur les fractions"]}),
            (
                "message.new",
                None,
                {"sender_name": "Mme Leroy", "conversation_title": "Exposé", "excerpt": "Pense à apporter ta clé USB."},
            ),
        ]
    if roles.is_teacher:
        plan += [
            ("resource.approved", None, {"title": "Frise chronologique interactive"}),
            (
                "message.new",
                None,
                {
                    "sender_name": "Sophie Martin",
                    "conversation_title": "Absence de Léa",
                    "excerpt": "Léa sera absente jeudi pour un rendez-vous médical.",
                },
            ),
        ]
    if roles.is_staff or roles.is_admin:
        plan += [
            ("export.ready", None, {"name": "Absences du trimestre (CSV)"}),
            ("announcement.new", None, {"title": "Conseil d'école", "author_name": "Inspection"}),
        ]
    return plan


def seed_notifications(users) -> int:
    """Give each user a handful of demo notifications unless they already have some."""
    created = 0
    now = timezone.now()
    with transaction.atomic():
        for user in users:
            if Notification.objects.filter(recipient=user, context__has_key=DEMO_MARK).exists():
                continue
            plan = _plan(user)
            rows = []
            for i, (kind, child, context) in enumerate(plan):
                rows.append(
                    Notification(
                        recipient=user,
                        kind=kind,
                        child=child,
                        context={**encode_context(context), DEMO_MARK: True},
                        created_at=now - timedelta(hours=3 * i),
                        # The oldest ones are read, so the feed shows both states.
                        read_at=now if i >= 2 else None,
                    )
                )
            Notification.objects.bulk_create(rows)
            created += len(rows)
    return created
