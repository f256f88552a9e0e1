"""Impersonation (spec 05 §7, spec 07 §5.10): permission, reason, only subscribers, time limit, logs, and every
action of the session naming both people in the activity log."""
from datetime import timedelta

from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.db import utcnow
from omnicrm.portal.models import ImpersonationLog
from tests.conftest import bearer
from tests.customers.helpers import create_customer, customer_user


def _start(client, headers, user_id, reason="Customer asked for help on the phone"):
    return client.post("/crm/auth/impersonate", headers=headers, json={"user_id": user_id, "reason": reason})


def test_support_impersonates_a_subscriber_and_every_action_names_both(client, app, admin_headers, make_user):
    customer = create_customer(client, admin_headers)
    subscriber = customer_user(app, client, make_user, customer["customer_id"])
    support = make_user(roles=["Support"])
    started = _start(client, support, subscriber.user_id)
    assert started.status_code == 200, started.get_json()
    body = started.get_json()
    assert body["success"] is True and body["impersonating_user_id"] == support.user_id
    assert body["target_user_id"] == subscriber.user_id and body["impersonation_start"]
    acting = bearer(body["access_token"])
    me = client.get("/crm/auth/me", headers=acting).get_json()
    assert me["customer_id"] == customer["customer_id"]
    assert me["label"] == f"user:{subscriber.email} (impersonated by {support.email})"
    assert "update_customer" not in me["permissions"]  # only the target's permissions
    # Staff-only endpoints refuse the impersonation like the subscriber itself.
    assert client.get("/crm/customer/", headers=acting).status_code in (200, 403)
    assert client.put("/crm/customer/", headers=acting, json={"customer_name": "X"}).status_code == 403
    # An action during the session: the activity log names the subscriber and the staff member.
    saved = client.put("/crm/portal/preferences", headers=acting, json={"low_balance_percent": 20})
    assert saved.status_code == 200 and saved.get_json()["low_balance_percent"] == 20
    with app.app_context():
        entry = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "update",
                                                             ActivityLog.entity_type == "user")
                                   .order_by(ActivityLog.activity_id.desc())).first()
        assert entry.user_id == subscriber.user_id and entry.impersonator_id == support.user_id
        assert support.email in entry.actor and subscriber.email in entry.actor
    # The password cannot be changed while impersonating.
    changed = client.post("/crm/auth/change_password", headers=acting,
                          json={"current_password": subscriber.password, "new_password": "Takeover-12!"})
    assert changed.status_code == 400
    moved = client.put("/crm/portal/account", headers=acting, json={"email": "takeover@example.com"})
    assert moved.status_code == 403 and "impersonating" in moved.get_json()["message"]
    stopped = client.post("/crm/auth/stop_impersonation", headers=acting)
    assert stopped.status_code == 200, stopped.get_json()
    out = stopped.get_json()
    assert out["success"] is True and out["duration_seconds"] >= 0 and out["impersonation_end"]
    back = bearer(out["access_token"])
    assert client.get("/crm/auth/me", headers=back).get_json()["user"]["id"] == support.user_id
    assert client.get("/crm/auth/me", headers=acting).status_code == 401  # the impersonation token is dead
    # The subscriber's own session was never touched.
    assert client.get("/crm/auth/me", headers=subscriber).status_code == 200
    with app.app_context():
        row = db.session.scalars(select(ImpersonationLog)).one()
        assert row.impersonating_user_id == support.user_id and row.target_user_id == subscriber.user_id
        assert row.impersonation_end is not None and row.impersonation_duration is not None
        assert row.reason == "Customer asked for help on the phone"
        actions = [a.action for a in db.session.scalars(select(ActivityLog).where(
            ActivityLog.customer_id == customer["customer_id"]))]
        assert "impersonation_start" in actions and "impersonation_stop" in actions


def test_refresh_keeps_the_impersonation(client, app, admin_headers, make_user):
    customer = create_customer(client, admin_headers)
    subscriber = customer_user(app, client, make_user, customer["customer_id"])
    body = _start(client, admin_headers, subscriber.user_id).get_json()
    refreshed = client.post("/crm/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200
    me = client.get("/crm/auth/me", headers=bearer(refreshed.get_json()["access_token"])).get_json()
    assert me["label"].endswith("(impersonated by admin@example.com)")


def test_rules_permission_reason_staff_targets(client, app, admin_headers, make_user):
    customer = create_customer(client, admin_headers)
    subscriber = customer_user(app, client, make_user, customer["customer_id"])
    finance = make_user(roles=["Finance"])  # no can_impersonate
    assert _start(client, finance, subscriber.user_id).status_code == 403
    assert _start(client, subscriber, subscriber.user_id).status_code == 403  # a subscriber cannot
    no_reason = client.post("/crm/auth/impersonate", headers=admin_headers, json={"user_id": subscriber.user_id})
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["errors"]
    support = make_user(roles=["Support"])
    staff_target = _start(client, support, finance.user_id)
    assert staff_target.status_code == 403 and "staff" in staff_target.get_json()["message"]
    admin_id = client.get("/crm/auth/me", headers=admin_headers).get_json()["user"]["id"]
    assert _start(client, support, admin_id).status_code == 403  # the administrator
    assert _start(client, support, 99999).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ImpersonationLog)).all() == []


def test_one_session_per_staff_member_and_time_limit(client, app, admin_headers, make_user):
    customer = create_customer(client, admin_headers)
    first = customer_user(app, client, make_user, customer["customer_id"])
    support = make_user(roles=["Support"])
    one = _start(client, support, first.user_id).get_json()
    two = _start(client, support, first.user_id).get_json()
    assert client.get("/crm/auth/me", headers=bearer(one["access_token"])).status_code == 401  # replaced
    with app.app_context():
        rows = db.session.scalars(select(ImpersonationLog).order_by(ImpersonationLog.id)).all()
        assert [r.end_reason for r in rows] == ["replaced", None]
        limit = rows[1].expires - rows[1].impersonation_start
        assert timedelta(minutes=59) < limit <= timedelta(minutes=60)
        rows[1].expires = utcnow() - timedelta(seconds=1)
        from omnicrm.auth.models import UserSession
        db.session.get(UserSession, rows[1].session_id).expires = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/crm/auth/me", headers=bearer(two["access_token"])).status_code == 401  # time is up


def test_impersonation_logs_admin_only_with_filters(client, app, admin_headers, make_user):
    customer = create_customer(client, admin_headers)
    subscriber = customer_user(app, client, make_user, customer["customer_id"])
    support = make_user(roles=["Support"])
    _start(client, support, subscriber.user_id)
    assert client.get("/crm/auth/impersonation_logs", headers=support).status_code == 403
    logs = client.get("/crm/auth/impersonation_logs", headers=admin_headers,
                      query_string={"user_id": support.user_id})
    assert logs.status_code == 200, logs.get_json()
    [row] = logs.get_json()["data"]
    assert row["impersonating_user_email"] == support.email and row["target_user_email"] == subscriber.email
    assert row["active"] is True and row["reason"]
    none = client.get("/crm/auth/impersonation_logs", headers=admin_headers,
                      query_string={"start_date": "2001-01-01", "end_date": "2001-01-02"}).get_json()
    assert none["data"] == []
    bad = client.get("/crm/auth/impersonation_logs", headers=admin_headers, query_string={"start_date": "x"})
    assert bad.status_code == 400


def test_impersonation_ends_when_the_staff_member_loses_the_permission(client, app, admin_headers, make_user):
    customer = create_customer(client, admin_headers)
    subscriber = customer_user(app, client, make_user, customer["customer_id"])
    support = make_user(permissions=["view_customer", "can_impersonate"])
    acting = bearer(_start(client, support, subscriber.user_id).get_json()["access_token"])
    assert client.get("/crm/auth/me", headers=acting).status_code == 200
    client.put(f"/crm/auth/users/{support.user_id}", headers=admin_headers, json={"active": False})
    assert client.get("/crm/auth/me", headers=acting).status_code == 401
