"""Expiring cards: the system-wide list (expired or within 60 days by default; expiry range, customer type and
service type filters; list convention) and the reminders at 60, 30, 7 days and at expiry, once per card and interval.
These read only our database, so cards are written directly (no Stripe call is involved)."""
import json
from datetime import date, datetime

from sqlalchemy import select

from omnicrm import db
from omnicrm.communications.models import Communication
from omnicrm.payments import expiring
from omnicrm.payments.models import CardReminder, StripeCard
from omnicrm.services.models import Service
from tests.payments.helpers import make_customer


def card(app, customer_id, month, year, last4="4242", default=True):
    with app.app_context():
        row = StripeCard(customer_id=customer_id, customer_stripe_id=f"pm_test_{customer_id}_{last4}_{year}{month}",
                         brand="visa", last4=last4, exp_month=month, exp_year=year, is_default=default,
                         default_of=customer_id if default else None, created=datetime(2026, 1, 1))
        db.session.add(row)
        db.session.commit()
        return row.card_id


def _months_ahead(n):
    today = date.today()
    index = today.year * 12 + today.month - 1 + n
    return index % 12 + 1, index // 12


def listed(client, headers, **params):
    if "filters" in params:
        params["filters"] = json.dumps(params["filters"])
    response = client.get("/crm/stripe/expiring_cards", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_list_default_window_filters_and_columns(app, client, admin_headers):
    john, _ = make_customer(app, "John Smith")
    acme, _ = make_customer(app, "Acme Corp", account_type="Business")
    jane, _ = make_customer(app, "Jane Doe")
    far, _ = make_customer(app, "Far Future")
    soon = card(app, john, *_months_ahead(0))            # expires at the end of this month: < 31 days
    later = card(app, acme, *_months_ahead(1), last4="5678")  # end of next month: 29-61 days
    expired = card(app, jane, 1, 2025, last4="9012")
    card(app, far, *_months_ahead(6), last4="0000")      # not in the 60-day window
    with app.app_context():
        db.session.add(Service(customer_id=acme, service_name="Mobile", service_type="mobile",
                               service_status="Active", service_uuid="svc-acme"))
        db.session.commit()

    page = listed(client, admin_headers)
    ids = [r["card_id"] for r in page["data"]]
    assert expired in ids and soon in ids and len(ids) in (2, 3)  # next month's end may be just past 60 days
    first = page["data"][0]
    assert (first["card_id"], first["customer_name"], first["expired"]) == (expired, "Jane Doe", True)
    assert first["days_until_expiry"] < 0 and first["expiry"] == "01/2025" and first["last4"] == "9012"
    assert page["pagination"]["total_items"] == len(ids)

    assert [r["card_id"] for r in listed(client, admin_headers, filters={"expiry_range": ["expired"]})["data"]] \
        == [expired]
    assert [r["card_id"] for r in listed(client, admin_headers, filters={"expiry_range": ["30"]})["data"]] \
        == ([soon] if expiring.cards.days_until_expiry(_row(app, soon)) <= 30 else [])
    ninety = [r["card_id"] for r in listed(client, admin_headers, filters={"expiry_range": ["90"]})["data"]]
    assert soon in ninety and later in ninety and expired not in ninety
    business = listed(client, admin_headers, filters={"customer_account_type": ["Business"], "expiry_range": ["90"]})
    assert [r["card_id"] for r in business["data"]] == [later]
    mobile = listed(client, admin_headers, filters={"service_type": ["mobile"], "expiry_range": ["90"]})
    assert [r["card_id"] for r in mobile["data"]] == [later]
    assert [r["card_id"] for r in listed(client, admin_headers, search="Jane")["data"]] == [expired]
    paged = listed(client, admin_headers, per_page=1, page=2)
    assert len(paged["data"]) == 1 and paged["pagination"]["total_pages"] == len(ids)
    bad = client.get("/crm/stripe/expiring_cards", query_string={"filters": json.dumps({"expiry_range": ["45"]})},
                     headers=admin_headers)
    assert bad.status_code == 400
    assert client.get("/crm/stripe/expiring_cards", query_string={"sort": "nope"},
                      headers=admin_headers).status_code == 400


def _row(app, card_id):
    with app.app_context():
        return db.session.get(StripeCard, card_id)


def _outbox(app, customer_id):
    with app.app_context():
        return [c.subject for c in db.session.scalars(select(Communication).where(Communication.customer_id ==
                                                                                 customer_id)
                                                      .order_by(Communication.communication_id))]


def test_reminders_at_each_interval_once(app):
    customer_id, _ = make_customer(app, "John Smith")
    card_id = card(app, customer_id, 3, 2027)  # valid through 2027-03-31
    silent, _ = make_customer(app, "No Mail", email=False)
    card(app, silent, 3, 2027, last4="1111")

    def run(day):
        with app.app_context():
            return expiring.send_due_reminders(day)

    assert run(date(2027, 1, 15)) == 0                          # 75 days before: nothing yet
    assert run(date(2027, 1, 31)) == 1 and run(date(2027, 2, 1)) == 0  # 59 days: first reminder, once
    assert run(date(2027, 3, 2)) == 1 and run(date(2027, 3, 3)) == 0   # 29 days: second
    assert run(date(2027, 3, 25)) == 1 and run(date(2027, 3, 30)) == 0  # 6 days: final warning
    assert run(date(2027, 4, 1)) == 1 and run(date(2027, 4, 2)) == 0    # expired notice
    subjects = _outbox(app, customer_id)
    assert len(subjects) == 4 and subjects[-1] == "Your Visa ending in 4242 has expired"
    assert subjects[0] == "Your Visa ending in 4242 expires soon (03/2027)"
    with app.app_context():
        sent = db.session.scalars(select(CardReminder.interval).where(CardReminder.card_id == card_id)
                                  .order_by(CardReminder.reminder_id)).all()
        assert sent == ["60", "30", "7", "expired"]
        body = db.session.scalars(select(Communication.text_part).where(Communication.customer_id == customer_id)
                                  ).first()
        assert "/selfcare/billing/payment-methods" in body and "03/2027" in body
    assert _outbox(app, silent) == []


def test_late_card_gets_only_the_tightest_reminder(app):
    customer_id, _ = make_customer(app)
    card(app, customer_id, 3, 2027)
    with app.app_context():  # first seen 20 days before expiry: only the 30-day reminder, not the 60-day one too
        assert expiring.send_due_reminders(date(2027, 3, 11)) == 1
        assert expiring.send_due_reminders(date(2027, 3, 12)) == 0
        assert db.session.scalars(select(CardReminder.interval)).all() == ["30"]


def test_scheduled_command_sends_due_reminders_once(app):
    from omnicrm.cli import stripe_card_reminders_command
    customer_id, _ = make_customer(app)
    card(app, customer_id, 3, 2027)
    first = app.test_cli_runner().invoke(stripe_card_reminders_command, ["--today", "2027-03-26"])
    assert first.exit_code == 0 and first.output.strip() == "Sent 1 card expiry reminder(s)."
    again = app.test_cli_runner().invoke(stripe_card_reminders_command, ["--today", "2027-03-27"])
    assert again.output.strip() == "Sent 0 card expiry reminder(s)."
    assert _outbox(app, customer_id) == ["Your Visa ending in 4242 expires soon (03/2027)"]


def test_notify_now_and_permissions(app, client, admin_headers, make_user):
    customer_id, contact_id = make_customer(app)
    card_id = card(app, customer_id, 1, 2025)
    silent, _ = make_customer(app, "No Mail", email=False)
    silent_card = card(app, silent, 1, 2025, last4="1111")
    answer = client.post("/crm/stripe/expiring_cards/notify", json={"card_ids": [card_id, silent_card, 999999]},
                         headers=admin_headers)
    assert answer.status_code == 200
    assert answer.get_json() == {"sent": [card_id], "skipped": [{"card_id": silent_card, "reason": "no contact e-mail"},
                                                                {"card_id": 999999, "reason": "not found"}]}
    assert len(_outbox(app, customer_id)) == 1
    assert client.post("/crm/stripe/expiring_cards/notify", json={"card_ids": []},
                       headers=admin_headers).status_code == 400
    viewer = make_user(permissions=["view_customer_stripe_card"])
    assert client.get("/crm/stripe/expiring_cards", headers=viewer).status_code == 200
    assert client.post("/crm/stripe/expiring_cards/notify", json={"card_ids": [card_id]},
                       headers=viewer).status_code == 403
    assert client.get("/crm/stripe/expiring_cards",
                      headers=make_user(permissions=["view_customer"])).status_code == 403
    subscriber = make_user(roles=["Customer"], contact_id=contact_id)
    assert client.get("/crm/stripe/expiring_cards", headers=subscriber).status_code == 403
