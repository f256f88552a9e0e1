"""Refresh-token reuse detection (OAuth 2.0 Security BCP §4.14): a refresh token that was already rotated is only
presented again by someone who copied it, so its whole session ends: the thief and the victim are both logged out
of that session, and the owner's other sessions stay."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login


def _refresh(client, token):
    return client.post("/crm/auth/refresh", json={"refresh_token": token})


def test_a_replayed_refresh_token_ends_its_session(client, app):
    victim = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    other = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    stolen = victim["refresh_token"]
    rotated = _refresh(client, stolen).get_json()  # the victim's client refreshes first

    replay = _refresh(client, stolen)  # the thief replays the copy
    assert replay.status_code == 401

    assert _refresh(client, rotated["refresh_token"]).status_code == 401  # victim's current refresh token
    assert client.get("/crm/auth/me", headers=bearer(rotated["token"])).status_code == 401
    assert client.get("/crm/auth/me", headers=bearer(other["token"])).status_code == 200
    assert _refresh(client, other["refresh_token"]).status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(ActivityLog).where(ActivityLog.action == "refresh_reuse"))
        assert entry is not None and stolen not in (entry.description or "")


def test_when_the_thief_refreshes_first_the_victims_replay_ends_the_thiefs_session(client):
    victim = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    thief = _refresh(client, victim["refresh_token"]).get_json()
    assert _refresh(client, victim["refresh_token"]).status_code == 401
    assert client.get("/crm/auth/me", headers=bearer(thief["token"])).status_code == 401
    assert _refresh(client, thief["refresh_token"]).status_code == 401


def test_a_refresh_token_revoked_by_logout_is_refused_without_side_effects(client):
    session = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert client.post("/crm/auth/logout", headers=bearer(session["token"]),
                       json={"refresh_token": session["refresh_token"]}).status_code == 200
    assert _refresh(client, session["refresh_token"]).status_code == 401
