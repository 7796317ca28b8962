"""Demo content: `parent` writes to `prof` about `eleve` (and `prof` answers, so
the conversation shows a read receipt), and `direction` sends an announcement to
the families of `eleve`'s class asking for a read confirmation. Idempotent: a
second run adds nothing."""

from ent.directory.models import Enrollment
from messaging import actions
from messaging.models import Announcement, Conversation

SUBJECT = "Sortie au musée des Beaux-Arts"
ANNOUNCEMENT = "Réunion parents-professeurs du jeudi"


def seed(ctx):
    users = ctx.users
    parent, prof, eleve, direction = users["parent"], users["prof"], users["eleve"], users["direction"]
    if not Conversation.objects.filter(subject=SUBJECT, created_by=parent).exists():
        conversation = actions.do_start_conversation(
            parent,
            [prof.pk],
            SUBJECT,
            f"Bonjour Madame,\n{eleve.first_name} me demande s'il faut prévoir un pique-nique pour la sortie "
            "de jeudi. Le programme est-il en ligne ? Merci beaucoup.",
            about=eleve,
        )
        actions.do_mark_read(prof, conversation)
        actions.do_send_message(
            prof,
            conversation,
            "Bonjour,\nOui, un pique-nique et une gourde. Le programme : https://www.mba.besancon.fr/\nBonne journée.",
        )
        ctx.log(f"Messaging: conversation « {SUBJECT} » between parent and prof.")
    if not Announcement.objects.filter(title=ANNOUNCEMENT, author=direction).exists():
        klass = Enrollment.objects.current().filter(pupil=eleve).select_related("school_class").first().school_class
        actions.do_send_announcement(
            direction,
            title=ANNOUNCEMENT,
            body=f"Madame, Monsieur,\nLa réunion parents-professeurs de la classe {klass.name} aura lieu jeudi "
            "à 18 h en salle polyvalente. Merci de confirmer que vous avez lu ce message.",
            audience=Announcement.Audience.CLASS,
            target=klass,
            requires_confirmation=True,
        )
        ctx.log(f"Messaging: announcement to the families of {klass.name}, read confirmation requested.")
