from django.apps import AppConfig


class TimetableConfig(AppConfig):
    name = "ent.timetable"
    label = "timetable"
    verbose_name = "Emploi du temps"
