"""Mes appareils (ent/directory/views_sessions.py and allauth's usersessions list)."""

from tests.security.matrix import Route, expect, only


def _guardians_device(w):
    """A device of the guardian's: only they may sign it out, everyone else gets 404."""
    from allauth.usersessions.models import UserSession

    row, _ = UserSession.objects.get_or_create(
        user=w.guardian, session_key="matrix-guardian-device", defaults={"ip": "127.0.0.1", "user_agent": "Firefox"}
    )
    return {"session_id": row.pk}


ROUTES = {
    "usersessions_list": Route(expect(200), note="each person's own devices"),
    "usersession_end": Route(only(["guardian"], status=302), method="post", kwargs=_guardians_device),
    "usersessions_end_all": Route(expect(302), method="post", note="signs the person out everywhere"),
}
