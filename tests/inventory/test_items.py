"""Inventory items: CRUD, labels, secrets at rest and in responses, list filters, customer views (spec 02 §4.4-4.8)."""
import json
from datetime import datetime

from sqlalchemy import select, update

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.inventory.models import Inventory
from tests.products.helpers import customer_login, make_customer


def test_create_defaults_costs_from_the_template_and_shows_labels(app, client, admin_headers, sim_template,
                                                                  add_sim):
    item = add_sim()
    assert item["wholesale_cost"] == "2.50" and item["retail_cost"] == "10.00"
    assert item["item"] == "SIM Card" and item["item_state"] == "New"
    assert item["inventory_id"] and item["created"] and item["last_modified"]
    body = client.get(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers).get_json()
    assert body["labels"]["itemtext1"] == "ICCID"
    assert body["iccid"] == body["itemtext1"] and body["imsi"] == body["itemtext2"]  # what playbooks read
    assert body["ki"] == "00000000000000000000000000000001"
    cheap = add_sim(wholesale_cost="1.99", retail_cost=0)
    assert cheap["wholesale_cost"] == "1.99" and cheap["retail_cost"] == "0.00"
    by_name = client.post("/crm/inventory/", headers=admin_headers, json={"item": "SIM Card", "itemtext1": "X1"})
    assert by_name.status_code == 201 and by_name.get_json()["inventory_template_id"] == sim_template


def test_invalid_items_are_refused(app, client, admin_headers, sim_template, add_sim):
    cases = [
        ({"inventory_template_id": sim_template}, "itemtext1"),
        ({"inventory_template_id": sim_template, "itemtext1": "1", "item_state": "Nuevo"}, "item_state"),
        ({"inventory_template_id": sim_template, "itemtext1": "1", "itemtext9": "no label"}, "itemtext9"),
        ({"inventory_template_id": sim_template, "itemtext1": "1", "latitude": "95"}, "latitude"),
        ({"inventory_template_id": sim_template, "itemtext1": "1", "item_state": "Assigned"}, "item_state"),
        ({"item": "sim card", "itemtext1": "1"}, "item"),
        ({"inventory_template_id": 999, "itemtext1": "1"}, "inventory_template_id"),
        ({"inventory_template_id": sim_template, "itemtext1": "1", "customer_id": 999}, "customer_id"),
    ]
    for body, field in cases:
        response = client.post("/crm/inventory/", headers=admin_headers, json=body)
        assert response.status_code == 400, body
        assert field in response.get_json()["errors"], (body, response.get_json())
    item = add_sim()
    response = client.post("/crm/inventory/", headers=admin_headers,
                           json={"inventory_template_id": sim_template, "itemtext1": item["itemtext1"]})
    assert response.status_code == 409  # the same ICCID twice
    with app.app_context():
        assert len(db.session.scalars(select(Inventory)).all()) == 1


def test_update_changes_last_modified_and_delete(app, client, admin_headers, add_sim):
    item = add_sim()
    with app.app_context():  # MariaDB keeps whole seconds: start from a clearly older value
        db.session.execute(update(Inventory).values(last_modified=datetime(2020, 1, 1)))
        db.session.commit()
        before = db.session.get(Inventory, item["inventory_id"]).last_modified
    response = client.patch(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers,
                            json={"item_location": "Store 12", "inventory_notes": "moved"})
    assert response.status_code == 200 and response.get_json()["item_location"] == "Store 12"
    with app.app_context():
        assert db.session.get(Inventory, item["inventory_id"]).last_modified > before
    response = client.patch(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers,
                            json={"inventory_template_id": 5})
    assert response.status_code == 400
    deleted = client.delete(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers)
    assert deleted.status_code == 200
    assert client.get(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers).status_code == 404


def test_secrets_are_encrypted_at_rest_masked_and_never_logged(app, client, admin_headers, make_user, add_sim):
    item = add_sim(management_password="s3cret-Pass")
    item_id = item["inventory_id"]
    with app.app_context():
        row = db.session.get(Inventory, item_id)
        assert row.management_password.startswith("fernet:") and "s3cret" not in row.management_password
        assert row.itemtext3.startswith("fernet:") and row.itemtext3 != item["itemtext3"]
    staff = make_user(permissions=["view_inventory", "update_inventory"])
    body = client.get(f"/crm/inventory/inventory_id/{item_id}", headers=staff).get_json()
    assert body["itemtext3"] == "***" and body["ki"] == "***" and body["opc"] == "***"
    assert body["management_password"] == "***" and body["itemtext1"] == item["itemtext1"]
    trusted = make_user(permissions=["view_inventory", "view_inventory_secrets"])
    body = client.get(f"/crm/inventory/inventory_id/{item_id}", headers=trusted).get_json()
    assert body["ki"] == "00000000000000000000000000000001" and body["management_password"] == "s3cret-Pass"
    listed = client.get("/crm/inventory/", headers=admin_headers).get_json()["data"][0]
    assert listed["itemtext3"] == "***" and listed["management_password"] == "***"  # lists never reveal
    # Sending the mask back keeps the secret; a new value replaces it.
    client.patch(f"/crm/inventory/inventory_id/{item_id}", headers=staff,
                 json={"itemtext3": "***", "itemtext4": "A" * 32, "management_password": "n3w-Pass"})
    body = client.get(f"/crm/inventory/inventory_id/{item_id}", headers=trusted).get_json()
    assert body["ki"] == "00000000000000000000000000000001" and body["opc"] == "A" * 32
    assert body["management_password"] == "n3w-Pass"
    assert client.get("/crm/inventory/?search=AAAAAAAA", headers=admin_headers).get_json()["data"] == []
    with app.app_context():
        log = " ".join(f"{e.description} {e.changes}" for e in db.session.scalars(select(ActivityLog)))
    assert "n3w-Pass" not in log and "s3cret" not in log and "A" * 32 not in log
    assert "00000000000000000000000000000001" not in log and "itemtext4" in log


def test_list_filters_search_and_sort(app, client, admin_headers, add_sim):
    first = add_sim(item_location="Store 1")
    add_sim(item_state="In Stock")
    add_sim(item_state="Damaged", inventory_notes="water damage")
    customer = make_customer(app)
    client.patch(f"/crm/inventory/inventory_id/{first['inventory_id']}", headers=admin_headers,
                 json={"customer_id": customer})

    def ids(query):
        response = client.get(f"/crm/inventory/?{query}", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        return [i["itemtext1"][-3:] for i in response.get_json()["data"]]

    assert ids('filters={"item_state": ["In Stock", "Damaged"]}') == ["002", "003"]
    assert ids(f'filters={{"customer_id": [{customer}]}}') == ["001"]
    assert ids('filters={"assigned": [false]}&sort=inventory_id&order=desc') == ["003", "002"]
    assert ids('filters={"item": ["SIM Card"]}&search=0000000002') == ["002"]
    assert ids("search=water") == ["003"]
    assert ids("search=Store 1") == ["001"]
    response = client.get('/crm/inventory/?filters={"item_state": ["Nuevo"]}', headers=admin_headers)
    assert response.status_code == 400
    assert client.get('/crm/inventory/?filters={"colour": [1]}', headers=admin_headers).status_code == 400


def test_customer_inventory_and_self_care_visibility(app, client, admin_headers, make_user, add_sim):
    mine, theirs, free = add_sim(), add_sim(), add_sim()
    own = make_customer(app, "Own")
    other = make_customer(app, "Other")
    for item, customer in ((mine, own), (theirs, other)):
        response = client.patch(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers,
                                json={"customer_id": customer, "item_state": "Assigned"})
        assert response.status_code == 200, response.get_json()
    body = client.get(f"/crm/inventory/customer_id/{own}", headers=admin_headers).get_json()
    assert [i["inventory_id"] for i in body["data"]] == [mine["inventory_id"]]
    me = customer_login(app, make_user, own)
    assert [i["inventory_id"] for i in client.get(f"/crm/inventory/customer_id/{own}",
                                                  headers=me).get_json()["data"]] == [mine["inventory_id"]]
    assert client.get(f"/crm/inventory/customer_id/{other}", headers=me).status_code == 404
    assert [i["inventory_id"] for i in client.get("/crm/inventory/", headers=me).get_json()["data"]] == [
        mine["inventory_id"]]
    assert client.get(f"/crm/inventory/inventory_id/{mine['inventory_id']}", headers=me).status_code == 200
    for item in (theirs, free):
        assert client.get(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=me).status_code == 404
    assert client.get(f"/crm/inventory/inventory_id/{mine['inventory_id']}",
                      headers=me).get_json()["ki"] == "***"
    assert client.patch(f"/crm/inventory/inventory_id/{mine['inventory_id']}", headers=me,
                        json={"item_state": "Lost"}).status_code == 403
    with app.app_context():
        entries = db.session.scalars(select(ActivityLog).where(ActivityLog.entity_type == "inventory",
                                                               ActivityLog.action == "assign")).all()
        assert {e.customer_id for e in entries} == {own, other}
        assert all("customer_id" in json.loads(e.changes) for e in entries)
