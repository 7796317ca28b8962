from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ent.directory"
    label = "directory"
    verbose_name = "Annuaire"
