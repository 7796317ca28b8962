"""Places where a person types text that others will see, for the XSS suite.

Each surface stores every payload through the product's own write path and
returns the (viewer, path) pairs of the pages that show them. A new feature
that shows user text adds its surface here."""

from django.urls import reverse

from tests.factories import link_guardian, make_pupil


def directory_names(world, payloads):
    """Names as they arrive from a school's CSV export (first and last name)."""
    pupils = []
    for i, payload in enumerate(payloads):
        pupils.append(make_pupil(world.klass, f"xss{i}", first_name=payload[:150], last_name=payload[-150:]))
    link_guardian(world.guardian, pupils[0])
    return [
        (world.teacher, reverse("class_detail", args=[world.klass.id])),
        (world.teacher, reverse("pupil_detail", args=[pupils[0].id])),
        (world.guardian, reverse("home")),
    ]


SURFACES = {
    "directory_names": directory_names,
}
