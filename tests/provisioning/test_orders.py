"""Who may order what: permission refusals and order validation (no job, nothing written)."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.customers.models import Contact
from omnicrm.db import utcnow
from omnicrm.inventory.models import Inventory
from omnicrm.products.models import Product
from omnicrm.provisioning.models import Provision
from tests.provisioning.conftest import set_play, wait_for_job


def provision_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Provision))


def customer_user(app, make_user, customer_id):
    with app.app_context():
        contact = Contact(customer_id=customer_id, contact_firstname="Jane", contact_email="jane@example.com")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.contact_id
    return make_user(roles=["Customer"], contact_id=contact_id)


def test_permissions(app, client, make_user, catalogue, provisioning_config):
    body = {"product_id": catalogue["product"], "customer_id": catalogue["home"], "SIM Card": catalogue["sims"][0]}
    assert client.put("/crm/provision/", json=body).status_code == 401
    viewer = make_user(permissions=["view_provision"])
    refused = client.put("/crm/provision/", json=body, headers=viewer)
    assert refused.status_code == 403 and "create_provision" in refused.get_json()["message"]

    customer = customer_user(app, make_user, catalogue["home"])
    other = client.put("/crm/provision/", json={**body, "customer_id": catalogue["business"]}, headers=customer)
    assert other.status_code == 403
    assert other.get_json()["message"] == "You can only provision services for your own account"
    assert provision_count(app) == 0

    with app.app_context():
        db.session.get(Product, catalogue["product"]).customer_can_purchase = False
        db.session.commit()
    not_for_sale = client.put("/crm/provision/", json=body, headers=customer)
    assert not_for_sale.status_code == 400
    assert not_for_sale.get_json()["errors"]["product_id"] == "this product cannot be purchased from self-care"
    assert provision_count(app) == 0

    with app.app_context():
        db.session.get(Product, catalogue["product"]).customer_can_purchase = True
        db.session.commit()
    set_play(app, catalogue["product"], "test_broken")  # the run itself does not matter here
    own = client.put("/crm/provision/", json=body, headers=customer)
    assert own.status_code == 200, own.get_json()
    job = wait_for_job(client, customer, own.get_json()["provision_id"])
    assert job["initiating_user"] == customer.user_id and job["customer_id"] == catalogue["home"]

    # Customers see only their own jobs.
    staff_job = client.put("/crm/provision/", json={"customer_id": catalogue["business"],
                                                     "product_id": catalogue["failing"]},
                           headers=make_user(permissions=["create_provision"]))
    assert staff_job.status_code == 200, staff_job.get_json()
    listed = client.get("/crm/provision/", headers=customer).get_json()
    assert [j["provision_id"] for j in listed["data"]] == [job["provision_id"]]
    assert client.get(f"/crm/provision/provision_id/{staff_job.get_json()['provision_id']}",
                      headers=customer).status_code == 404


@pytest.mark.parametrize("change,field,message", [
    (lambda c: {"SIM Card": None}, "SIM Card", "select an inventory item of this type"),
    (lambda c: {"SIM Card": c["number"]}, "SIM Card", "is a 'Mobile Number', not a 'SIM Card'"),
    (lambda c: {"SIM Card": 999999}, "SIM Card", "does not exist"),
    (lambda c: {"SIM Card": "taken"}, "SIM Card", "is not available (state Assigned)"),
    (lambda c: {"product_id": 999999}, "product_id", "does not exist"),
    (lambda c: {"product_id": "disabled"}, "product_id", "this product is disabled"),
    (lambda c: {"product_id": "expired"}, "product_id", "this product is no longer available"),
    (lambda c: {"customer_id": c["business"]}, "product_id", "not offered to business customers"),
    (lambda c: {"customer_id": None}, "customer_id", "is required"),
    (lambda c: {"access_token": "eyJforged"}, "access_token", "is set by the provisioning system"),
    (lambda c: {"provisioning_play": "../../etc/passwd"}, "provisioning_play", "must be a playbook name"),
])
def test_invalid_orders_are_refused_and_change_nothing(app, client, admin_headers, catalogue, provisioning_config,
                                                       change, field, message):
    body = {"product_id": catalogue["product"], "customer_id": catalogue["home"], "SIM Card": catalogue["sims"][0]}
    body.update(change(catalogue))
    with app.app_context():
        if body["SIM Card"] == "taken":
            sim = db.session.get(Inventory, catalogue["sims"][1])
            sim.item_state, sim.customer_id = "Assigned", catalogue["business"]
            body["SIM Card"] = sim.inventory_id
        if body["product_id"] in ("disabled", "expired"):
            product = db.session.get(Product, catalogue["product"])
            if body["product_id"] == "disabled":
                product.enabled = False
            else:
                product.available_until = utcnow() - timedelta(days=1)
            body["product_id"] = product.product_id
        db.session.commit()
    response = client.put("/crm/provision/", json={k: v for k, v in body.items() if v is not None},
                          headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["errors"][field]
    assert provision_count(app) == 0


def test_list_paginates_filters_and_searches(app, client, admin_headers, catalogue):
    with app.app_context():
        for n, (status, play) in enumerate([(0, "play_psim_only"), (2, "play_psim_only"), (2, "play_simple_service"),
                                            (1, "play_topup_monetary")]):
            db.session.add(Provision(customer_id=catalogue["home"], product_id=catalogue["product"],
                                     provisioning_play=play, playbook_description=f"Mobile job {n}"
                                     if play != "play_simple_service" else "Fibre job",
                                     provisioning_status=status, task_count=3, job_id=f"test:{n}",
                                     provisioning_json_vars=json.dumps({"ki": "secret-ki-value"})))
        db.session.commit()
    page = client.get("/crm/provision/?page=1&per_page=2&sort=provision_id&order=desc", headers=admin_headers)
    assert page.status_code == 200
    body = page.get_json()
    assert body["pagination"] == {"current_page": 1, "per_page": 2, "total_pages": 2, "total_items": 4}
    ids = [j["provision_id"] for j in body["data"]]
    assert ids == sorted(ids, reverse=True)
    assert body["data"][0]["customer_name"] == "Jane Home"
    failed_mobile = client.get('/crm/provision/?filters={"provisioning_status": [2]}&search=Mobile%20job',
                               headers=admin_headers).get_json()["data"]
    assert [j["playbook_description"] for j in failed_mobile] == ["Mobile job 1"]
    detail = client.get(f"/crm/provision/provision_id/{ids[0]}", headers=admin_headers).get_json()
    assert json.loads(detail["provisioning_json_vars"]) == {"ki": "***"}
    assert client.get('/crm/provision/?sort=nope', headers=admin_headers).status_code == 400
    assert client.get("/crm/provision/provision_id/999999", headers=admin_headers).status_code == 404
