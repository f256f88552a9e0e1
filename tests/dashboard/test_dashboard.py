"""The staff home dashboard over HTTP (issue 16): every figure from one call, each matching the rows behind it and
the list it links to; figures the caller may not open are left out; customer users are refused."""
import json
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from omnicrm import db
from omnicrm.billing.models import Invoice
from omnicrm.customers.models import Contact, Customer
from omnicrm.db import utcnow
from omnicrm.inventory.models import Inventory, InventoryTemplate
from omnicrm.provisioning.models import STATUS_FAILED, STATUS_SUCCESS, Provision
from omnicrm.services.models import Service


def _month_start(day, back=0):
    month = day.year * 12 + day.month - 1 - back
    return datetime(month // 12, month % 12 + 1, 1)


@pytest.fixture
def world(app):
    """Customers old and new, services Active and not, invoices of this and last month (one voided, one paid),
    provisioning jobs failed recently and long ago, two inventory templates (one low on free stock)."""
    now = utcnow()
    this_month, last_month = _month_start(now), _month_start(now, 1)
    with app.app_context():
        old = Customer(customer_name="Old Co", created=_month_start(now, 3))
        new1 = Customer(customer_name="New One", created=this_month + timedelta(minutes=1))
        new2 = Customer(customer_name="New Two", created=now)
        db.session.add_all([old, new1, new2])
        db.session.flush()
        db.session.add(Contact(customer_id=new1.customer_id, contact_firstname="New", contact_email="n@example.com"))
        for i, status in enumerate(["Active", "Active", "Active", "Suspended", "Inactive"]):
            db.session.add(Service(customer_id=old.customer_id, service_name=f"S{i}", service_uuid=f"U_{i}",
                                   service_type="mobile", service_status=status))

        def invoice(cost, created, paid=False, void=False):
            db.session.add(Invoice(customer_id=old.customer_id, title="I", retail_cost=Decimal(cost), paid=paid,
                                   void=void, created=created, due_date=created))

        invoice("100.00", this_month + timedelta(hours=1))
        invoice("50.50", now, paid=True)
        invoice("999.00", now, void=True)                     # voided: never counted
        invoice("100.00", last_month + timedelta(days=2))
        invoice("20.25", _month_start(now, 2) + timedelta(days=1))
        for status, created in [(STATUS_FAILED, now - timedelta(hours=1)), (STATUS_FAILED, now - timedelta(hours=23)),
                                (STATUS_FAILED, now - timedelta(hours=25)), (STATUS_SUCCESS, now)]:
            db.session.add(Provision(provisioning_play="play", provisioning_status=status, created=created))
        sims = InventoryTemplate(item="SIM Card")
        routers = InventoryTemplate(item="Router")
        db.session.add_all([sims, routers])
        db.session.flush()
        for i in range(12):
            db.session.add(Inventory(item="SIM Card", inventory_template_id=sims.inventory_template_id,
                                     itemtext1=f"8900{i}", item_state="New" if i < 11 else "Assigned",
                                     customer_id=old.customer_id if i == 11 else None))
        for i, state in enumerate(["In Stock", "Assigned", "Damaged"]):
            db.session.add(Inventory(item="Router", inventory_template_id=routers.inventory_template_id,
                                     itemtext1=f"MAC{i}", item_state=state,
                                     customer_id=old.customer_id if state == "Assigned" else None))
        db.session.commit()
        return {"routers": routers.inventory_template_id, "now": now}


def test_every_figure_matches_the_rows(client, admin_headers, world):
    response = client.get("/crm/dashboard/", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["active_services"]["count"] == 3
    assert body["new_customers"]["count"] == 2
    assert body["unpaid"] == {**body["unpaid"], "count": 3, "amount": "220.25"}
    revenue = body["revenue"]
    assert revenue["this_month"] == "150.50" and revenue["last_month"] == "100.00"
    assert revenue["trend_percent"] == "50.50"
    assert len(revenue["by_month"]) == 12 and revenue["by_month"][-1]["amount"] == "150.50"
    assert revenue["by_month"][-3]["amount"] == "20.25"
    assert revenue["by_month"][-1]["month"] == world["now"].strftime("%Y-%m")
    assert body["failed_provisioning"]["count"] == 2
    low = body["low_stock"]
    assert low["threshold"] == 10
    assert [(t["item"], t["available"]) for t in low["templates"]] == [("Router", 1)]


def test_each_link_is_the_list_behind_the_figure(client, admin_headers, world):
    """Following a figure's filter on the API gives the same number."""
    body = client.get("/crm/dashboard/", headers=admin_headers).get_json()

    def total(path, figure):
        query = {"filters": json.dumps(figure["api_filter"]), "per_page": 1}
        page = client.get(path, query_string=query, headers=admin_headers)
        assert page.status_code == 200, page.get_json()
        return page.get_json()["pagination"]["total_items"]

    assert total("/crm/service/", body["active_services"]) == body["active_services"]["count"]
    assert total("/crm/customers", body["new_customers"]) == body["new_customers"]["count"]
    assert total("/crm/invoice/", body["unpaid"]) == body["unpaid"]["count"]
    link = urlsplit(body["unpaid"]["link"])
    assert link.path == "/billing/invoices"
    assert json.loads(parse_qs(link.query)["filters"][0]) == {"paid": [False], "void": [False]}
    assert body["active_services"]["link"].startswith("/services?filters=")


def test_the_threshold_comes_from_the_config(app, client, admin_headers, world, monkeypatch):
    monkeypatch.setitem(app.config["CRM"], "dashboard", {"low_stock_threshold": 20})
    low = client.get("/crm/dashboard/", headers=admin_headers).get_json()["low_stock"]
    assert [(t["item"], t["available"]) for t in low["templates"]] == [("Router", 1), ("SIM Card", 11)]


def test_figures_the_caller_cannot_open_are_left_out(client, make_user, world):
    headers = make_user(permissions=["view_customer", "view_customer_service"])
    body = client.get("/crm/dashboard/", headers=headers).get_json()
    assert body["active_services"]["count"] == 3 and body["new_customers"]["count"] == 2
    for hidden in ("revenue", "unpaid", "failed_provisioning", "low_stock"):
        assert hidden not in body


def test_staff_only(client, make_user, world, app):
    assert client.get("/crm/dashboard/").status_code == 401
    assert client.get("/crm/dashboard/", headers=make_user(permissions=["view_product"])).status_code == 403
    with app.app_context():
        contact_id = db.session.query(Contact.contact_id).scalar()
    customer_user = make_user(permissions=["view_customer", "view_own_customer"], contact_id=contact_id)
    assert client.get("/crm/dashboard/", headers=customer_user).status_code == 403


def test_empty_database(client, admin_headers):
    assert client.get("/crm/dashboard", headers=admin_headers).status_code == 200  # the spec's path, no slash
    body = client.get("/crm/dashboard/", headers=admin_headers).get_json()
    assert body["active_services"]["count"] == 0 and body["unpaid"] == {**body["unpaid"], "count": 0,
                                                                        "amount": "0.00"}
    assert body["revenue"]["trend_percent"] is None and body["low_stock"]["templates"] == []


def test_the_totals_follow_every_write(app, client, admin_headers, world):
    """Paying and voiding (Core UPDATEs), status changes and deletes all move the figures: the database keeps them."""
    def figures():
        return client.get("/crm/dashboard/", headers=admin_headers).get_json()

    with app.app_context():
        unpaid = db.session.query(Invoice).filter_by(paid=False, void=False).order_by(Invoice.invoice_id).all()
        first, second = unpaid[0].invoice_id, unpaid[1].invoice_id
    paid = client.post(f"/crm/invoice/{first}/pay", json={"payment_method": "Cash"}, headers=admin_headers)
    assert paid.status_code == 200, paid.get_json()
    body = figures()
    assert body["unpaid"]["count"] == 2 and body["unpaid"]["amount"] == "120.25"
    assert body["revenue"]["this_month"] == "150.50"                 # paid is still revenue
    voided = client.delete(f"/crm/invoice/invoice_id/{second}", headers=admin_headers)
    assert voided.status_code == 200, voided.get_json()
    body = figures()
    assert body["unpaid"]["count"] == 1 and body["revenue"]["last_month"] == "0.00"
    with app.app_context():
        for service in db.session.query(Service).filter_by(service_status="Active").limit(2):
            service.service_status = "Suspended"
        db.session.query(Inventory).filter_by(item_state="In Stock").delete()
        db.session.commit()
    body = figures()
    assert body["active_services"]["count"] == 1
    assert [(t["item"], t["available"]) for t in body["low_stock"]["templates"]] == [("Router", 0)]


def test_deleting_a_bundle_parent_keeps_the_counts(app, client, admin_headers, world):
    """Deleting a parent service nulls its children's bundled_parent (a foreign-key action that fires the children's
    UPDATE trigger inside the DELETE): the totals stay exact and nothing fails."""
    from sqlalchemy import text
    with app.app_context():
        parent = db.session.query(Service).filter_by(service_status="Active").first()
        child = Service(customer_id=parent.customer_id, service_name="Child", service_uuid="U_child",
                        service_type="mobile", service_status="Active", bundled_parent=parent.service_id)
        db.session.add(child)
        db.session.commit()
        assert client.get("/crm/dashboard/", headers=admin_headers).get_json()["active_services"]["count"] == 4
        if db.get_engine().dialect.name == "sqlite":
            db.session.execute(text("PRAGMA foreign_keys=ON"))
        db.session.execute(text("DELETE FROM `Service` WHERE service_id = :id"), {"id": parent.service_id})
        db.session.commit()
    assert client.get("/crm/dashboard/", headers=admin_headers).get_json()["active_services"]["count"] == 3


def test_expiring_cards_figure_is_the_expiring_cards_list(app, client, admin_headers, world):
    """Cards expired or expiring within 60 days: the same cards the Expiring Cards page lists by default."""
    from omnicrm.payments.models import StripeCard
    now = world["now"]
    soon = now + timedelta(days=20)
    with app.app_context():
        customer_id = db.session.query(Customer.customer_id).filter_by(customer_name="Old Co").scalar()
        for pm, (year, month) in enumerate([(soon.year, soon.month), (now.year - 1, 1), (now.year + 3, 1)]):
            db.session.add(StripeCard(customer_id=customer_id, customer_stripe_id=f"pm_dash_{pm}", brand="visa",
                                      last4="4242", exp_month=month, exp_year=year))
        db.session.commit()
    figure = client.get("/crm/dashboard/", headers=admin_headers).get_json()["expiring_cards"]
    listed = client.get("/crm/stripe/expiring_cards", query_string={"per_page": 1}, headers=admin_headers)
    assert listed.status_code == 200, listed.get_json()
    assert figure["count"] == listed.get_json()["pagination"]["total_items"] == 2
    assert urlsplit(figure["link"]).path == "/billing/expiring-cards"
