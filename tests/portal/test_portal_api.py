"""/crm/portal: alerts, preferences, account, subscriber logins; customer A never reaches customer B (404), and
`omnicrm portal-notifications` e-mails each event once (spec 07 §6.9)."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import User
from omnicrm.billing.models import Invoice
from omnicrm.communications.models import Communication
from omnicrm.db import utcnow
from omnicrm.portal.models import PortalNotification
from omnicrm.services.models import Service
from tests.services.helpers import create_service, make_customer

GIB = 1024 ** 3


@pytest.fixture
def two(app, client, admin_headers, make_user, ocs):
    """Customers A and B, each with a subscriber login and a mobile service with a 10 GB data bucket."""
    out = {}
    for name in ("A", "B"):
        customer_id, contact_id = make_customer(app, f"Customer {name}", with_contact=True)
        uuid = f"Mobile_{name}_0001"
        service = create_service(client, admin_headers, customer_id, service_uuid=uuid,
                                 service_name=f"Mobile {name}")
        ocs.ok("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": uuid})
        ocs.ok("ApierV1.AddBalance", {"Tenant": "cgrates.org", "Account": uuid, "BalanceType": "*data",
                                      "Balance": {"ID": "DATA_10GB", "Value": GIB // 2}})  # 5 % left
        user = make_user(roles=["Customer"], contact_id=contact_id)
        out[name] = {"customer_id": customer_id, "contact_id": contact_id, "service_id": service["service_id"],
                     "user": user}
    with app.app_context():
        now = utcnow()
        db.session.add(Invoice(customer_id=out["A"]["customer_id"], title="March", retail_cost=Decimal("30.00"),
                               due_date=now - timedelta(days=2)))
        db.session.add(Invoice(customer_id=out["B"]["customer_id"], title="March", retail_cost=Decimal("12.00"),
                               due_date=now + timedelta(days=10)))
        db.session.get(Service, out["A"]["service_id"]).service_deactivate_date = now + timedelta(days=2, hours=1)
        db.session.commit()
    return out


def test_alerts_show_only_my_customer(client, two):
    a = two["A"]
    body = client.get("/crm/portal/alerts", headers=a["user"]).get_json()
    assert body["customer_id"] == a["customer_id"]
    kinds = {(x["kind"], x.get("service_id") or x.get("invoice_id")) for x in body["alerts"]}
    assert ("overdue_invoice", 1) in kinds or any(k == "overdue_invoice" for k, _ in kinds)
    assert ("low_balance", a["service_id"]) in kinds
    expiry = next(x for x in body["alerts"] if x["kind"] == "service_expiry")
    assert expiry["window"] == 3 and expiry["days_left"] == 3
    assert all(x.get("service_id") in (None, a["service_id"]) for x in body["alerts"])
    assert client.get(f"/crm/portal/alerts/customer_id/{two['B']['customer_id']}",
                      headers=a["user"]).status_code == 404
    assert client.get(f"/crm/portal/alerts/customer_id/{a['customer_id']}", headers=a["user"]).status_code == 200


def test_low_balance_threshold_follows_preferences(client, two):
    a = two["A"]["user"]
    assert client.get("/crm/portal/preferences", headers=a).get_json()["low_balance_percent"] == 10
    saved = client.put("/crm/portal/preferences", headers=a, json={"low_balance_percent": 3})
    assert saved.status_code == 200
    alerts = client.get("/crm/portal/alerts", headers=a).get_json()["alerts"]
    assert not any(x["kind"] == "low_balance" for x in alerts)  # 5 % left is above 3 %
    bad = client.put("/crm/portal/preferences", headers=a, json={"low_balance_percent": 0, "colour": "red"})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) >= {"low_balance_percent", "colour"}
    # B's preferences are B's own.
    assert client.get("/crm/portal/preferences", headers=two["B"]["user"]).get_json()["low_balance_percent"] == 10


def test_account_phone_and_email_change(client, app, two):
    a = two["A"]["user"]
    changed = client.put("/crm/portal/account", headers=a, json={"phone_number": "+44 7700 900555"})
    assert changed.status_code == 200 and changed.get_json()["phone_number"] == "+44 7700 900555"
    pending = client.put("/crm/portal/account", headers=a, json={"email": "new-a@example.com"})
    assert pending.status_code == 200 and pending.get_json()["pending_email"] == "new-a@example.com"
    taken = client.put("/crm/portal/account", headers=a, json={"email": two["B"]["user"].email})
    assert taken.status_code == 409
    assert client.put("/crm/portal/account", headers=a, json={"user_id": 5}).status_code == 400


def test_shared_portal_endpoints_are_scoped(client, two):
    """What the portal screens call: A reaches its own records, B's are 404."""
    a, b = two["A"], two["B"]
    own = [f"/crm/customer/customer_id/{a['customer_id']}", f"/crm/service/{a['service_id']}",
           f"/crm/service/{a['service_id']}/usage", f"/crm/invoice/customer_id/{a['customer_id']}",
           f"/crm/transaction/customer_id/{a['customer_id']}", f"/crm/contact/customer_id/{a['customer_id']}",
           f"/crm/site/customer_id/{a['customer_id']}"]
    for path in own:
        assert client.get(path, headers=a["user"]).status_code == 200, path
        other = path.replace(str(a["customer_id"]), str(b["customer_id"])).replace(
            f"/{a['service_id']}", f"/{b['service_id']}")
        assert client.get(other, headers=a["user"]).status_code == 404, other
    services = client.get("/crm/service/", headers=a["user"]).get_json()["data"]
    assert [s["service_id"] for s in services] == [a["service_id"]]


def test_notifications_are_sent_once_per_event(app, two):
    from omnicrm.portal.notifications import send_due
    with app.app_context():
        first = send_due()
        # A: expiry, low data; B: low data. Invoices are e-mailed by billing (issue, reminders), not again here.
        assert first["sent"] == 3 and first["failed"] == 0
        again = send_due()
        assert again["sent"] == 0 and again["already_sent"] == first["sent"]
        rows = db.session.scalars(select(PortalNotification)).all()
        assert len({r.event_key for r in rows}) == len(rows) == first["sent"]
        mails = db.session.scalars(select(Communication)).all()
        assert len(mails) == first["sent"]
        to_a = [m for m in mails if m.to_email == two["A"]["user"].email]
        assert {m.template_key for m in to_a} == {"api_crmCommunicationsBalanceLow",
                                                  "api_crmCommunicationsServiceExpiring"}
        # The expiry moves into the 1-day window: a new event, sent once more.
        db.session.get(Service, two["A"]["service_id"]).service_deactivate_date = utcnow() + timedelta(hours=5)
        db.session.commit()
        assert send_due()["sent"] == 1


def test_notifications_respect_preferences(client, app, two):
    client.put("/crm/portal/preferences", headers=two["A"]["user"], json={"email_enabled": False})
    client.put("/crm/portal/preferences", headers=two["B"]["user"], json={"billing": False})
    from omnicrm.portal.notifications import send_due
    with app.app_context():
        send_due()
        kinds = [r.kind for r in db.session.scalars(select(PortalNotification))]
        assert kinds == ["low_balance"]  # B's low data only


def test_invite_a_contact_list_and_disable(client, app, admin_headers, make_user, two):
    a = two["A"]
    with app.app_context():
        from omnicrm.customers.models import Contact
        contact = Contact(customer_id=a["customer_id"], contact_firstname="Bea", contact_lastname="Lee",
                          contact_email="bea@example.com")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.contact_id
    support = make_user(roles=["Support"])
    invited = client.post(f"/crm/portal/invite/contact_id/{contact_id}", headers=support, json={})
    assert invited.status_code == 200, invited.get_json()
    body = invited.get_json()
    assert body["has_login"] is True and body["email"] == "bea@example.com" and body["invited"] is True
    with app.app_context():
        user = db.session.get(User, body["user_id"])
        assert [r.name for r in user.roles] == ["Customer"] and user.contact_id == contact_id
        mail = db.session.scalars(select(Communication).where(Communication.to_email == "bea@example.com")).one()
        assert mail.template_key == "api_crmCommunicationUserWelcome"
        assert '"set_password_url": "***"' in mail.variables  # a link went out; the outbox never keeps it
        from omnicrm.auth.models import PasswordResetToken
        assert db.session.scalars(select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)).one()
    assert client.post(f"/crm/portal/invite/contact_id/{contact_id}", headers=support, json={}).status_code == 409
    logins = client.get(f"/crm/portal/logins/customer_id/{a['customer_id']}", headers=support).get_json()
    assert {row["contact_id"]: row["has_login"] for row in logins} == {a["contact_id"]: True, contact_id: True}
    disabled = client.post(f"/crm/portal/logins/user_id/{a['user'].user_id}/disable", headers=support)
    assert disabled.status_code == 200 and disabled.get_json()["active"] is False
    assert client.get("/crm/auth/me", headers=a["user"]).status_code == 401  # its sessions ended
    refused = client.post("/crm/auth/login", json={"email": a["user"].email, "password": a["user"].password})
    assert refused.status_code == 403
    assert client.post(f"/crm/portal/logins/user_id/{support.user_id}/disable",
                       headers=support).status_code == 404  # staff logins are not handled here
    # Subscribers cannot invite or list logins.
    assert client.post(f"/crm/portal/invite/contact_id/{contact_id}", headers=two["B"]["user"],
                       json={}).status_code == 403
    assert client.get(f"/crm/portal/logins/customer_id/{a['customer_id']}",
                      headers=two["B"]["user"]).status_code == 403


def test_subscriber_cancels_its_own_service_only(client, two):
    a, b = two["A"], two["B"]
    other = client.post(f"/crm/service/{b['service_id']}/cancel", headers=a["user"], json={"reason": "Moving abroad"})
    assert other.status_code == 404
    mine = client.post(f"/crm/service/{a['service_id']}/cancel", headers=a["user"], json={"reason": "Moving abroad"})
    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json()["service_status"] == "Pending Cancellation"


def test_expiry_alert_without_its_optional_template_goes_as_plain_text(app, two, monkeypatch):
    """api_crmCommunicationsServiceExpiring is not one of the spec's ten templates: a configuration without it
    starts, and the expiry alert is still e-mailed (as a plain notice)."""
    from omnicrm.portal.notifications import send_due
    monkeypatch.delitem(app.config["CRM"]["mailjet"], "api_crmCommunicationsServiceExpiring")
    with app.app_context():
        send_due()
        [expiry] = [m for m in db.session.scalars(select(Communication)) if m.template_key is None]
    assert expiry.to_email == two["A"]["user"].email and "expires" in expiry.subject
    assert "self-care portal" in expiry.text_part
