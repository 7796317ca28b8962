"""Messaging in the load benchmark (bench/): conversations between families and
their children's teachers (50,000 messages at full scale), and the conversation
list as a measured page."""

import datetime

from django.urls import reverse
from django.utils import timezone

from ent.sanitize import linkify_text
from messaging.models import Conversation, Message, Participant

MESSAGES = 50_000
PER_CONVERSATION = 10
BODIES = [
    "Bonjour, {child} sera absent demain matin pour un rendez-vous. Merci.",
    "Bonjour, pourriez-vous me dire quels exercices sont à faire pour lundi ?",
    "Merci pour votre message, c'est noté. Bonne journée.",
    "Le cahier de textes est à jour : voir https://ent.example.org/travail/ pour les documents.",
    "Bonjour, {child} a oublié son cahier en classe, peut-il le récupérer demain ?",
    "Nous avons bien reçu le mot, merci. Le rattrapage aura lieu jeudi.",
]


def bench_seed(ctx):
    rng = ctx.rng
    total = max(PER_CONVERSATION, round(MESSAGES * ctx.scale))
    pairs = []  # (school, parent, teacher, pupil)
    for klass in ctx.classes:
        teachers = ctx.teachers_by_class.get(klass.id) or []
        for pupil_id in ctx.pupils_by_class.get(klass.id, []):
            for guardian in ctx.guardians_by_pupil.get(pupil_id, [])[:1]:
                if teachers:
                    pairs.append((klass.school_id, guardian, rng.choice(teachers), pupil_id))
    rng.shuffle(pairs)
    pairs = pairs[: total // PER_CONVERSATION]
    now = timezone.now()
    conversations = [
        Conversation(
            school_id=school,
            subject=f"Question au sujet de la classe n°{i}",
            created_by_id=parent,
            created_at=now - datetime.timedelta(days=rng.randint(1, 70)),
            about_id=pupil,
        )
        for i, (school, parent, teacher, pupil) in enumerate(pairs)
    ]
    Conversation.objects.bulk_create(conversations, batch_size=2000)
    rendered = {}
    messages, participants = [], []
    for conv, (_school, parent, teacher, _pupil) in zip(conversations, pairs, strict=True):
        at = conv.created_at
        for k in range(PER_CONVERSATION):
            body = rng.choice(BODIES).format(child="Léa")
            html = rendered.get(body) or rendered.setdefault(body, linkify_text(body))
            at += datetime.timedelta(minutes=rng.randint(5, 600))
            author = parent if k % 2 == 0 else teacher
            messages.append(Message(conversation=conv, author_id=author, body=body, html=html, created_at=at))
        participants += [Participant(conversation=conv, user_id=u) for u in (parent, teacher)]
    Message.objects.bulk_create(messages, batch_size=5000)
    Participant.objects.bulk_create(participants, batch_size=5000)
    # Last message of each conversation, and most conversations read by both.
    last = {}
    for m in messages:
        last[m.conversation_id] = m
    for conv in conversations:
        conv.last_message = last[conv.id]
        conv.last_message_at = last[conv.id].created_at
    Conversation.objects.bulk_update(conversations, ["last_message", "last_message_at"], batch_size=2000)
    read = [p for p in participants if rng.random() < 0.8]
    for p in read:
        p.last_read_id = last[p.conversation_id].id
    Participant.objects.bulk_update(read, ["last_read_id"], batch_size=5000)


def _inbox(user, ctx):
    return [("GET", reverse("messaging:inbox"), "")]


def grow_inbox(user, ctx, n):
    """n more conversations of this user, each with a message from someone else."""
    klass = ctx.class_of_pupil(ctx.children_of(user.id)[0])
    teacher = ctx.teachers_by_class[klass.id][0]
    convs = Conversation.objects.bulk_create(
        Conversation(school_id=klass.school_id, subject=f"Extra {i}", created_by_id=teacher) for i in range(n)
    )
    msgs = Message.objects.bulk_create(
        Message(conversation=c, author_id=teacher, body="Bonjour", html="Bonjour") for c in convs
    )
    Participant.objects.bulk_create([Participant(conversation=c, user_id=u) for c in convs for u in (user.id, teacher)])
    for c, m in zip(convs, msgs, strict=True):
        c.last_message = m
    Conversation.objects.bulk_update(convs, ["last_message"])


def bench_pages(Page):
    return [Page("parent_conversations", "parent", 2, _inbox, grow_inbox)]
