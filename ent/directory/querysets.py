"""Where roles_of used to live with the directory's querysets. The querysets are
in ent/directory/models.py (R7) and roles_of in ent/directory/roles.py; this name
stays for the apps that still import it from here (absences, ent.timetable)."""

from ent.directory.roles import roles_of

__all__ = ["roles_of"]
