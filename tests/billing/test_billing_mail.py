"""Billing e-mails (spec 07 §2.13, §3; spec 06 §13.3): the invoice e-mail with its real PDF, the payment receipt and
refund notice, overdue reminders once per interval, outbox retries after a Mailjet error, and who may do what."""
import base64
import io
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.billing import events, invoice_pdf, service
from omnicrm.billing.mail import send_due_reminders
from omnicrm.billing.models import Invoice, InvoiceReminder, Transaction
from omnicrm.cli import send_mail_outbox_command
from omnicrm.communications.models import Communication
from omnicrm.communications.service import _claim, retry_outbox
from omnicrm.customers.models import Contact, Customer
from omnicrm.db import utcnow
from tests.fixtures.mailjet import mailjet, mailjet_server  # noqa: F401 - fixtures

JANUARY = {"start_date": "2026-01-01", "end_date": "2026-01-31", "due_date": "2026-02-14"}
INVOICE_KEY = "api_crmCommunicationCustomerInvoice"
REMINDER_KEY = "api_crmCommunicationCustomerInvoiceReminder"


@pytest.fixture
def world(app):
    """Acme (a Primary contact and a Billing contact), Solo (only a Primary contact), each with a January charge."""
    with app.app_context():
        acme = Customer(customer_name="Acme Pty Ltd", customer_account_type="Business")
        solo = Customer(customer_name="Solo Person", customer_account_type="Individual")
        db.session.add_all([acme, solo])
        db.session.flush()
        db.session.add_all([
            Contact(customer_id=acme.customer_id, contact_firstname="Pat", contact_lastname="Primary",
                    contact_email="pat@acme.example", contact_types="Primary"),
            Contact(customer_id=acme.customer_id, contact_firstname="Bill", contact_lastname="Payer",
                    contact_email="bill@acme.example", contact_types="Billing,Technical"),
            Contact(customer_id=solo.customer_id, contact_firstname="Sol", contact_email="sol@solo.example",
                    contact_types="Primary"),
            Contact(customer_id=solo.customer_id, contact_firstname="Tech", contact_email="tech@solo.example",
                    contact_types="Technical")])
        for customer, cost in ((acme, "100.00"), (solo, "20.00")):
            db.session.add(Transaction(customer_id=customer.customer_id, title="Mobile Plan",
                                       retail_cost=Decimal(cost), tax_percentage=Decimal(10),
                                       tax_amount=service.line_tax(Decimal(cost), Decimal(10)),
                                       created=datetime(2026, 1, 5)))
        db.session.commit()
        return {"acme": acme.customer_id, "solo": solo.customer_id}


def ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def invoice_of(client, headers, customer_id):
    return ok(client.put("/crm/invoice/", json={"customer_id": customer_id, **JANUARY}, headers=headers))


def base_url(app):
    return app.config["CRM"]["crm"]["base_url"]


def rows(app, **where):
    with app.app_context():
        stmt = select(Communication).order_by(Communication.communication_id)
        for name, value in where.items():
            stmt = stmt.where(getattr(Communication, name) == value)
        found = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return found


def pdf_of(message):
    [attached] = message["Attachments"]
    content = base64.b64decode(attached["Base64Content"])
    assert content.startswith(b"%PDF") and attached["ContentType"] == "application/pdf"
    return attached["Filename"], "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_invoice_email_goes_to_the_billing_contact_with_the_real_pdf(app, client, admin_headers, world, mailjet):
    invoice = invoice_of(client, admin_headers, world["acme"])
    number = invoice["invoice_id"]
    body = ok(client.post(f"/crm/invoice/{number}/email", headers=admin_headers))
    assert body["message"] == "Invoice email sent successfully" and body["communication"]["status"] == "sent"
    [message] = mailjet.messages
    assert message["To"] == [{"Email": "bill@acme.example", "Name": "Bill Payer"}]  # not the primary contact
    block = app.config["CRM"]["mailjet"][INVOICE_KEY]
    assert message["TemplateID"] == block["template_id"] and message["From"]["Email"] == block["from_email"]
    assert message["Subject"] == f"{block['subject']}{number}"
    variables = message["Variables"]
    assert variables == {
        "customer_name": "Acme Pty Ltd", "invoice_number": str(number), "invoice_date": invoice["created"][:10],
        "due_date": "2026-02-14", "total_amount": "$110.00",
        "invoice_url": f"{base_url(app)}/invoices/{number}", "pay_url": f"{base_url(app)}/invoices/{number}/pay"}
    filename, text = pdf_of(message)
    assert filename == f"Invoice_{number:05d}.pdf"
    assert str(number) in text and "Mobile Plan" in text and "110.00" in text
    [row] = rows(app)
    assert (row.status, row.template_key, row.invoice_id, row.customer_id, row.attempts) == \
        ("sent", INVOICE_KEY, number, world["acme"], 1)
    assert json.loads(row.attachments) == [filename] and row.to_email == "bill@acme.example"
    with app.app_context():
        logged = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "email")).all()
        assert [(a.entity_type, a.entity_id, a.customer_id) for a in logged] == \
            [("invoice", str(number), world["acme"])]
    # the alias path and an explicit recipient list
    ok(client.post(f"/crm/invoice/invoice_id/{number}/email", json={"to": ["copy@acme.example"]},
                   headers=admin_headers))
    assert mailjet.messages[-1]["To"] == [{"Email": "copy@acme.example"}]


def test_without_a_billing_contact_the_primary_contact_gets_it(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["solo"])["invoice_id"]
    ok(client.post(f"/crm/invoice/{number}/email", headers=admin_headers))
    [message] = mailjet.messages
    assert [t["Email"] for t in message["To"]] == ["sol@solo.example"]  # not the Technical contact
    assert str(number) in pdf_of(message)[1]


def test_invoice_email_refusals(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["solo"])["invoice_id"]
    with app.app_context():
        for contact in db.session.scalars(select(Contact).where(Contact.customer_id == world["solo"])):
            contact.contact_types = "Technical"
        db.session.commit()
    nobody = client.post(f"/crm/invoice/{number}/email", headers=admin_headers)
    assert nobody.status_code == 400 and "billing or primary contact" in nobody.get_json()["message"]
    bad = client.post(f"/crm/invoice/{number}/email", json={"to": ["not-an-address"]}, headers=admin_headers)
    assert bad.status_code == 400 and "to" in bad.get_json()["errors"]
    unknown = client.post(f"/crm/invoice/{number}/email", json={"cc": ["x@example.com"]}, headers=admin_headers)
    assert unknown.status_code == 400 and unknown.get_json()["errors"] == {"cc": "unknown field"}
    ok(client.delete(f"/crm/invoice/{number}", headers=admin_headers))
    void = client.post(f"/crm/invoice/{number}/email", json={"to": ["x@example.com"]}, headers=admin_headers)
    assert void.status_code == 409
    assert client.post("/crm/invoice/999999/email", headers=admin_headers).status_code == 404
    assert mailjet.messages == [] and rows(app) == []


def test_who_may_email_an_invoice(app, client, admin_headers, world, make_user, mailjet):
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    path = f"/crm/invoice/{number}/email"
    assert client.post(path).status_code == 401
    assert client.post(path, headers=make_user(permissions=["view_customer_invoice"])).status_code == 403
    assert mailjet.messages == []
    finance = make_user(roles=["Finance"])
    ok(client.post(path, headers=finance))
    assert len(mailjet.messages) == 1


def test_customer_user_requests_a_copy_of_its_own_invoice(app, client, admin_headers, world, make_user, mailjet):
    mine = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    theirs = invoice_of(client, admin_headers, world["solo"])["invoice_id"]
    with app.app_context():
        contact_id = db.session.scalar(select(Contact.contact_id).where(Contact.customer_id == world["acme"]))
    customer = make_user(roles=["Customer"], contact_id=contact_id)
    assert client.post(f"/crm/invoice/{theirs}/email", headers=customer).status_code == 404
    typed = client.post(f"/crm/invoice/{mine}/email", json={"to": ["stranger@example.com"]}, headers=customer)
    assert typed.status_code == 400 and "to" in typed.get_json()["errors"]
    assert mailjet.messages == []
    ok(client.post(f"/crm/invoice/{mine}/email", headers=customer))
    [message] = mailjet.messages
    assert message["To"][0]["Email"] == "bill@acme.example" and str(mine) in pdf_of(message)[1]
    again = client.post(f"/crm/invoice/{mine}/email", headers=customer)
    assert again.status_code == 429 and len(mailjet.messages) == 1
    ok(client.post(f"/crm/invoice/{mine}/email", headers=admin_headers))  # staff are not throttled
    assert len(mailjet.messages) == 2


def test_issued_invoice_is_queued_by_the_bill_run_signal_and_sent_by_the_outbox(app, client, admin_headers, world,
                                                                                 mailjet):
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    renders = invoice_pdf.render_count
    with app.app_context():
        events.invoice_issued.send(db.session.get(Invoice, number))
    assert mailjet.messages == [] and invoice_pdf.render_count == renders  # the bill run does not wait
    [row] = rows(app)
    assert (row.status, row.invoice_id, row.attempts, row.to_email) == ("queued", number, 0, "bill@acme.example")
    with app.app_context():
        assert retry_outbox()["sent"] == [row.communication_id]
        assert retry_outbox()["sent"] == []
    [message] = mailjet.messages
    assert message["To"][0]["Email"] == "bill@acme.example" and str(number) in pdf_of(message)[1]
    assert message["Variables"]["invoice_number"] == str(number)
    [row] = rows(app)
    assert (row.status, row.attempts) == ("sent", 1)


def test_issued_invoice_without_mailjet_is_recorded(app, client, admin_headers, world, mailjet_server):
    mailjet_server.reset()
    number = invoice_of(client, admin_headers, world["solo"])["invoice_id"]
    with app.app_context():
        events.invoice_issued.send(db.session.get(Invoice, number))
    [row] = rows(app)
    assert (row.status, row.next_attempt_at, json.loads(row.attachments)) == \
        ("recorded", None, [f"Invoice_{number:05d}.pdf"])
    assert mailjet_server.requests == 0


def test_receipt_after_manual_payment(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    paid = ok(client.post(f"/crm/invoice/{number}/pay", json={"payment_method": "Bank Transfer",
                                                              "payment_reference": "BT-991"}, headers=admin_headers))
    assert paid["status"] == "Paid"
    [receipt] = mailjet.messages
    assert receipt["To"] == [{"Email": "bill@acme.example", "Name": "Bill Payer"}]
    assert receipt["Subject"] == f"Payment receipt - Invoice {number}"
    assert receipt["From"]["Email"] == app.config["CRM"]["mailjet"][INVOICE_KEY]["from_email"]
    assert "$110.00" in receipt["TextPart"] and "Bank Transfer" in receipt["TextPart"] and "BT-991" in \
        receipt["TextPart"]
    [row] = rows(app)
    assert row.status == "sent" and row.customer_id == world["acme"] and row.template_key is None


def test_failing_receipt_never_fails_the_payment_and_is_retried(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    mailjet.fail(500, "Internal error")
    paid = client.post(f"/crm/invoice/{number}/pay", json={"payment_method": "Cash"}, headers=admin_headers)
    assert paid.status_code == 200 and paid.get_json()["status"] == "Paid"
    with app.app_context():
        assert db.session.get(Invoice, number).paid is True
    [row] = rows(app)
    assert row.status == "failed" and row.attempts == 1 and row.next_attempt_at is not None
    mailjet.reset()
    with app.app_context():
        assert retry_outbox(now=utcnow() + timedelta(hours=1))["sent"] == [row.communication_id]
    [receipt] = mailjet.messages
    assert receipt["Subject"] == f"Payment receipt - Invoice {number}"


def test_refund_sends_a_refund_notice(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["solo"])["invoice_id"]
    with app.app_context():
        invoice = db.session.get(Invoice, number)
        invoice.paid, invoice.refunded, invoice.payment_method = True, True, "Card"
        db.session.commit()
        events.invoice_refunded.send(invoice)
    [notice] = mailjet.messages
    assert notice["Subject"] == f"Refund - Invoice {number}" and "$22.00" in notice["TextPart"]
    assert notice["To"][0]["Email"] == "sol@solo.example"


def test_mailjet_500_then_the_retry_command_sends_it_once(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    mailjet.fail(500, "Mailjet internal error")
    failed = client.post(f"/crm/invoice/{number}/email", headers=admin_headers)
    assert failed.status_code == 502 and "retried" in failed.get_json()["message"]
    [row] = rows(app)
    assert (row.status, row.attempts, row.invoice_id) == ("failed", 1, number)
    assert "Mailjet internal error" in row.error
    assert row.next_attempt_at > utcnow() + timedelta(minutes=4)
    mailjet.reset()
    runner = app.test_cli_runner()
    early = runner.invoke(send_mail_outbox_command)
    assert "0 sent" in early.output and mailjet.messages == []  # not due yet
    with app.app_context():
        db.session.get(Communication, row.communication_id).next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    result = runner.invoke(send_mail_outbox_command)
    assert result.exit_code == 0 and "1 sent" in result.output, result.output
    [message] = mailjet.messages
    assert message["To"][0]["Email"] == "bill@acme.example"
    assert str(number) in pdf_of(message)[1]  # the PDF rendered again at retry time
    [row] = rows(app)
    assert (row.status, row.attempts, row.next_attempt_at, row.error) == ("sent", 2, None, None)
    again = runner.invoke(send_mail_outbox_command)
    assert "0 sent" in again.output and len(mailjet.messages) == 1


def test_a_row_claimed_by_another_run_is_not_sent_twice(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    mailjet.fail(503, "busy")
    ok(client.post(f"/crm/invoice/{number}/pay", json={"payment_method": "Cash"}, headers=admin_headers))
    [row] = rows(app)
    mailjet.reset()
    later = utcnow() + timedelta(hours=1)
    with app.app_context():
        assert _claim(row.communication_id, later) is True  # run 1 took it (and is sending)
        assert _claim(row.communication_id, later) is False  # run 2 cannot
        assert retry_outbox(now=later) == {"sent": [], "failed": [], "given_up": []}
    assert mailjet.messages == []
    with app.app_context():  # run 1 died mid-send: after its lease another run takes the row over
        assert retry_outbox(now=later + timedelta(minutes=11))["sent"] == [row.communication_id]
    assert len(mailjet.messages) == 1


def test_retries_back_off_and_give_up(app, client, admin_headers, world, mailjet, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["mailjet"], "retry_max_attempts", 3)
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    mailjet.fail(500, "down")
    ok(client.post(f"/crm/invoice/{number}/pay", json={"payment_method": "Cash"}, headers=admin_headers))
    [row] = rows(app)
    first_wait = row.next_attempt_at - row.created
    now = row.next_attempt_at
    with app.app_context():
        assert retry_outbox(now=now)["failed"] == [row.communication_id]
        second = db.session.get(Communication, row.communication_id)
        assert second.attempts == 2 and second.next_attempt_at - now > first_wait  # the delay grows
        third_try = second.next_attempt_at
        assert retry_outbox(now=third_try)["given_up"] == [row.communication_id]
        assert retry_outbox(now=third_try + timedelta(days=30)) == \
            {"sent": [], "failed": [], "given_up": []}
    [row] = rows(app)
    assert (row.status, row.attempts, row.next_attempt_at) == ("given_up", 3, None)


def test_password_reset_links_are_never_retried(app, mailjet):
    from omnicrm.communications.service import send_template_email
    mailjet.fail(500, "down")
    with app.app_context():
        row = send_template_email("api_crmCommunicationUserPasswordReset", "ann@example.com",
                                  {"user_name": "Ann", "reset_url": "https://crm/reset-password/secret"},
                                  raise_errors=False)
        assert row.status == "failed" and row.next_attempt_at is None
        mailjet.reset()
        assert retry_outbox(now=utcnow() + timedelta(days=1))["sent"] == []
    assert mailjet.messages == []


def test_overdue_reminder_once_per_interval(app, client, admin_headers, world, mailjet):
    number = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    paid = invoice_of(client, admin_headers, world["solo"])["invoice_id"]
    ok(client.post(f"/crm/invoice/{paid}/pay", json={"payment_method": "Cash"}, headers=admin_headers))
    mailjet.reset()
    due = datetime(2026, 2, 14)
    with app.app_context():
        assert send_due_reminders(now=due - timedelta(hours=1)) == []  # not overdue yet
        assert send_due_reminders(now=due + timedelta(hours=23)) == []  # the due day itself: still in time
        assert send_due_reminders(now=due + timedelta(days=1)) == [number]
        assert send_due_reminders(now=due + timedelta(days=1, hours=5)) == []  # same interval: not again
        assert send_due_reminders(now=due + timedelta(days=6)) == []
        assert send_due_reminders(now=due + timedelta(days=8)) == [number]  # next interval (7 days)
    first, second = mailjet.messages
    block = app.config["CRM"]["mailjet"][REMINDER_KEY]
    assert first["TemplateID"] == block["template_id"] and first["To"][0]["Email"] == "bill@acme.example"
    assert first["Variables"] == {"customer_name": "Acme Pty Ltd", "invoice_number": str(number),
                                  "due_date": "2026-02-14", "days_overdue": 1, "total_amount": "$110.00",
                                  "pay_url": f"{base_url(app)}/invoices/{number}/pay"}
    assert second["Variables"]["days_overdue"] == 8
    with app.app_context():
        steps = db.session.execute(select(InvoiceReminder.invoice_id, InvoiceReminder.step)
                                   .order_by(InvoiceReminder.id)).all()
        assert [tuple(s) for s in steps] == [(number, 0), (number, 1)]
        # at most invoice.reminder_max (3) reminders, however long it stays unpaid
        assert send_due_reminders(now=due + timedelta(days=15)) == [number]
        assert send_due_reminders(now=due + timedelta(days=60)) == []
    assert len(mailjet.messages) == 3
    assert [r.invoice_id for r in rows(app, template_key=REMINDER_KEY)] == [number] * 3


def test_customer_communications_history_and_scope(app, client, admin_headers, world, make_user, mailjet):
    acme_invoice = invoice_of(client, admin_headers, world["acme"])["invoice_id"]
    solo_invoice = invoice_of(client, admin_headers, world["solo"])["invoice_id"]
    ok(client.post(f"/crm/invoice/{acme_invoice}/email", headers=admin_headers))
    ok(client.post(f"/crm/invoice/{solo_invoice}/email", headers=admin_headers))
    staff = ok(client.get(f"/crm/communication/customer_id/{world['acme']}", headers=admin_headers))
    [mail] = staff["data"]
    assert (mail["customer_id"], mail["template_key"], mail["status"], mail["invoice_id"]) == \
        (world["acme"], INVOICE_KEY, "sent", acme_invoice)
    assert mail["subject"].endswith(str(acme_invoice)) and mail["created"]
    with app.app_context():
        acme_contact = db.session.scalar(select(Contact.contact_id).where(Contact.customer_id == world["acme"]))
    customer = make_user(roles=["Customer"], contact_id=acme_contact)
    own = ok(client.get(f"/crm/communication/customer_id/{world['acme']}", headers=customer))
    assert [m["communication_id"] for m in own["data"]] == [mail["communication_id"]]
    assert client.get(f"/crm/communication/customer_id/{world['solo']}", headers=customer).status_code == 404
    listed = ok(client.get("/crm/communication/", headers=customer))
    assert {m["customer_id"] for m in listed["data"]} == {world["acme"]}
    assert client.get("/crm/communication/customer_id/999999", headers=admin_headers).status_code == 404
    assert client.get(f"/crm/communication/customer_id/{world['acme']}",
                      headers=make_user(permissions=["view_customer"])).status_code == 403
    assert client.get(f"/crm/communication/customer_id/{world['acme']}").status_code == 401


def test_two_overlapping_retry_runs_send_each_email_once(app, mailjet):
    from omnicrm.communications.service import send_plain_email
    mailjet.fail(500, "down")
    with app.app_context():
        ids = [send_plain_email(["ops@example.com"], f"Notice {i}", "text", raise_errors=False).communication_id
               for i in range(12)]
    mailjet.reset()
    later = utcnow() + timedelta(hours=1)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            with app.app_context():
                barrier.wait()
                results.append(retry_outbox(now=later))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(i for r in results for i in r["sent"]) == ids  # every row by exactly one of the runs
    assert sorted(m["Subject"] for m in mailjet.messages) == sorted(f"Notice {i}" for i in range(12))
    assert {r.status for r in rows(app)} == {"sent"}
