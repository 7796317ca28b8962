"""The official school holidays of metropolitan France for 2025-2026 and
2026-2027, as data: a table, never fetched.

Source: the calendar set by the ministry of Education (arrêté fixing the
school calendars of 2024-2025, 2025-2026 and 2026-2027, Journal officiel),
as published on https://www.education.gouv.fr/calendrier-scolaire-100148.
Zones: A = Besançon, Bordeaux, Clermont-Ferrand, Dijon, Grenoble, Limoges,
Lyon, Poitiers; B = Aix-Marseille, Amiens, Caen, Lille, Nancy-Metz, Nantes,
Nice, Orléans-Tours, Reims, Rennes, Rouen, Strasbourg; C = Créteil,
Montpellier, Paris, Toulouse, Versailles. Corsica and the overseas académies
publish their own calendars, not held here (School.HolidayZone.OTHER).

Each period reads as the official "from Saturday X to Monday Y": classes
stop after Saturday X and start again on Monday Y, so the days off are
X .. Y - 1. A new school year needs its rows added here."""

from datetime import date

from django.utils.translation import gettext_lazy as _

# Common to every zone.
NATIONAL = [
    (date(2025, 10, 18), date(2025, 11, 3), _("the All Saints' holidays")),
    (date(2025, 12, 20), date(2026, 1, 5), _("the Christmas holidays")),
    (date(2026, 5, 15), date(2026, 5, 18), _("the Ascension bridge")),
    (date(2026, 7, 4), date(2026, 9, 1), _("the summer holidays")),
    (date(2026, 10, 17), date(2026, 11, 2), _("the All Saints' holidays")),
    (date(2026, 12, 19), date(2027, 1, 4), _("the Christmas holidays")),
    (date(2027, 7, 3), date(2027, 9, 1), _("the summer holidays")),
]

WINTER = _("the winter holidays")
SPRING = _("the spring holidays")

# Winter and spring breaks, by School.HolidayZone value.
BY_ZONE = {
    "A": [
        (date(2026, 2, 7), date(2026, 2, 23), WINTER),
        (date(2026, 4, 4), date(2026, 4, 20), SPRING),
        (date(2027, 2, 13), date(2027, 3, 1), WINTER),
        (date(2027, 4, 10), date(2027, 4, 26), SPRING),
    ],
    "B": [
        (date(2026, 2, 14), date(2026, 3, 2), WINTER),
        (date(2026, 4, 11), date(2026, 4, 27), SPRING),
        (date(2027, 2, 20), date(2027, 3, 8), WINTER),
        (date(2027, 4, 17), date(2027, 5, 3), SPRING),
    ],
    "C": [
        (date(2026, 2, 21), date(2026, 3, 9), WINTER),
        (date(2026, 4, 18), date(2026, 5, 4), SPRING),
        (date(2027, 2, 6), date(2027, 2, 22), WINTER),
        (date(2027, 4, 3), date(2027, 4, 19), SPRING),
    ],
}


def periods(zone: str = "") -> list:
    """The holiday periods of a zone (national ones only for a blank or
    unknown zone), as (first day off, day back, name)."""
    return NATIONAL + BY_ZONE.get(zone, [])
