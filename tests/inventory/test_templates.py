"""Inventory templates: item types, their itemtext1..20 labels, default costs, dropdown and secret settings
(spec 02 §4.3)."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.inventory.models import Inventory
from tests.inventory.conftest import SIM


def test_create_read_update_a_template(client, admin_headers, sim_template):
    body = client.get(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers).get_json()
    assert body["item"] == "SIM Card" and body["wholesale_cost"] == "2.50" and body["retail_cost"] == "10.00"
    assert body["labels"] == {"itemtext1": "ICCID", "itemtext2": "IMSI", "itemtext3": "Ki", "itemtext4": "OPc",
                              "itemtext5": "SIM Type"}
    assert body["secret_fields"] == ["itemtext3", "itemtext4"]
    assert body["allow_staff_dropdown"] is True and body["allow_customer_dropdown"] is False
    response = client.patch(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers,
                            json={"itemtext20_label": "Batch", "allow_customer_dropdown": True})
    assert response.status_code == 200
    assert response.get_json()["labels"]["itemtext20"] == "Batch"
    listing = client.get("/crm/inventory/template/?search=sim", headers=admin_headers).get_json()
    assert [t["item"] for t in listing["data"]] == ["SIM Card"]


def test_required_fields_and_limits(app, client, admin_headers):
    response = client.post("/crm/inventory/template/", headers=admin_headers, json={"icon": "x"})
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"item", "wholesale_cost", "retail_cost", "itemtext1_label",
                                                  "itemtext2_label"}
    response = client.post("/crm/inventory/template/", headers=admin_headers,
                           json={**SIM, "itemtext21_label": "Too many", "retail_cost": "-1"})
    assert set(response.get_json()["errors"]) == {"itemtext21_label", "retail_cost"}
    response = client.post("/crm/inventory/template/", headers=admin_headers,
                           json={**SIM, "secret_fields": ["itemtext1"]})
    assert response.status_code == 400 and "itemtext1" in response.get_json()["errors"]["secret_fields"]
    response = client.post("/crm/inventory/template/", headers=admin_headers,
                           json={**SIM, "secret_fields": ["itemtext9"]})
    assert response.status_code == 400 and "without a label" in response.get_json()["errors"]["secret_fields"]
    assert client.get("/crm/inventory/template/", headers=admin_headers).get_json()["pagination"]["total_items"] == 0


def test_names_are_unique(client, admin_headers, sim_template):
    response = client.post("/crm/inventory/template/", headers=admin_headers, json=SIM)
    assert response.status_code == 400 and "already exists" in response.get_json()["errors"]["item"]


def test_delete_is_refused_while_items_or_products_use_the_template(app, client, admin_headers, sim_template,
                                                                    add_sim, tmp_path, monkeypatch):
    item = add_sim()
    response = client.delete(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers)
    assert response.status_code == 409
    client.delete(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers)
    monkeypatch.setitem(app.config["CRM"]["provisioning"], "playbook_dir", str(tmp_path))
    product = client.post("/crm/product/", headers=admin_headers, json={
        "product_name": "SIM", "product_slug": "sim", "category": "standalone", "inventory_items_list": ["SIM Card"]})
    assert product.status_code == 201
    response = client.delete(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers)
    assert response.status_code == 409 and "SIM" in response.get_json()["message"]
    client.delete(f"/crm/product/product_id/{product.get_json()['product_id']}", headers=admin_headers)
    response = client.delete(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers)
    assert response.status_code == 200


def test_relabelling_and_renaming_show_on_existing_items(app, client, admin_headers, sim_template, add_sim,
                                                         tmp_path, monkeypatch):
    item = add_sim()
    monkeypatch.setitem(app.config["CRM"]["provisioning"], "playbook_dir", str(tmp_path))
    client.post("/crm/product/", headers=admin_headers, json={
        "product_name": "SIM", "product_slug": "sim", "category": "standalone", "inventory_items_list": ["SIM Card"]})
    response = client.patch(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers,
                            json={"item": "sim card", "itemtext5_label": "Form Factor"})
    assert response.status_code == 200
    assert response.get_json()["warnings"]["products_using_old_name"][0]["product_name"] == "SIM"
    body = client.get(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers).get_json()
    assert body["item"] == "sim card" and body["labels"]["itemtext5"] == "Form Factor"
    # The product still names "SIM Card": its selector is now empty (names are case-sensitive).
    assert client.get("/crm/inventory/available?item=SIM Card", headers=admin_headers).status_code == 404
    assert client.get("/crm/inventory/available?item=sim card",
                      headers=admin_headers).get_json()["pagination"]["total_items"] == 1


def test_making_a_field_secret_encrypts_existing_values(app, client, admin_headers, sim_template, add_sim):
    item = add_sim(itemtext5="Physical")
    client.patch(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers,
                 json={"secret_fields": ["itemtext3", "itemtext4", "itemtext5"]})
    with app.app_context():
        stored = db.session.scalars(select(Inventory.itemtext5)).one()
    assert stored.startswith("fernet:") and "Physical" not in stored
    body = client.get(f"/crm/inventory/inventory_id/{item['inventory_id']}", headers=admin_headers).get_json()
    assert body["itemtext5"] == "Physical"  # admin holds view_inventory_secrets
    client.patch(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers,
                 json={"secret_fields": ["itemtext3", "itemtext4"]})
    with app.app_context():
        assert db.session.scalars(select(Inventory.itemtext5)).one() == "Physical"
