from django.urls import reverse
from django.utils import translation

from media.files import FileRefused


def test_french_messages_are_shipped():
    with translation.override("fr"):
        assert str(FileRefused().message) == "Ce fichier a été refusé."
        assert translation.gettext("My resources") == "Mes ressources"


def test_mine_page_in_french(world, client, login_as, settings):
    settings.LANGUAGE_CODE = "fr"
    login_as(world.pupil)
    page = client.get(reverse("media:mine"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Mes ressources" in page
    assert "Aucune ressource n'a encore été donnée à cette classe." in page or "Aucune ressource n&#x27;a" in page
