"""Product CRUD, validation, list spellings, clone, delete rules (spec 04 §1-3, spec 06 §2-6)."""
import json
from datetime import datetime

from sqlalchemy import func, select, update

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.products.models import Product
from tests.products.helpers import make_customer, make_service

FULL = {
    "product_name": "Prepaid Mobile 20GB", "product_slug": "prepaid-mobile-20gb", "category": "standalone",
    "service_type": "mobile", "comment": "Prepaid SIM", "icon": "fa-solid fa-sim-card",
    "retail_cost": "15.00", "wholesale_cost": "5.00", "retail_setup_cost": "0.00", "wholesale_setup_cost": "1.00",
    "tax_percentage": "12.5", "enabled": True, "residential": True, "business": False,
    "customer_can_purchase": True, "available_from": "2025-01-01T00:00:00Z", "available_until": None,
    "contract_days": 30, "auto_renew": "prompt", "allow_auto_renew": True,
    "terms": "Credit expires after 30 days.", "features_list": "20GB High-Speed Data. Unlimited Calls & Texts",
    "provisioning_play": "play_local_mobile_sim",
    "provisioning_json_vars": "{\"days\": 30, \"data_gb\": 20}",
    "inventory_items_list": "[ 'SIM Card', 'Mobile Number' ]", "relies_on_list": "",
}


def _create(client, headers, **fields):
    response = client.post("/crm/product/", json={**FULL, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Product))


def test_every_field_round_trips_and_timestamps_are_system_set(app, client, admin_headers, plays, templates):
    created = _create(client, admin_headers)
    product_id = created["product_id"]
    body = client.get(f"/crm/product/product_id/{product_id}", headers=admin_headers).get_json()
    assert body["retail_cost"] == "15.00" and body["wholesale_setup_cost"] == "1.00"
    assert body["tax_percentage"] == "12.50"
    assert body["features_list"] == ["20GB High-Speed Data", "Unlimited Calls & Texts"]
    assert body["inventory_items_list"] == ["SIM Card", "Mobile Number"]
    assert body["relies_on_list"] == []
    assert body["provisioning_json_vars"] == FULL["provisioning_json_vars"]
    assert body["available_from"] == "2025-01-01T00:00:00Z" and body["available_until"] is None
    for name in ("product_name", "product_slug", "category", "service_type", "comment", "icon", "enabled",
                 "residential", "business", "customer_can_purchase", "contract_days", "auto_renew",
                 "allow_auto_renew", "terms", "provisioning_play"):
        assert body[name] == FULL[name], name
    with app.app_context():
        row = db.session.get(Product, product_id)
        assert row.inventory_items_list == ["SIM Card", "Mobile Number"]  # a real list, not text
        # MariaDB keeps whole seconds: start from a clearly older last_modified.
        db.session.execute(update(Product).values(last_modified=datetime(2020, 1, 1)))
        db.session.commit()
        created_at, modified_at = row.created, datetime(2020, 1, 1)
    response = client.patch(f"/crm/product/product_id/{product_id}", headers=admin_headers,
                            json={"retail_cost": "16.50", "product_id": 99})
    assert response.status_code == 400 and "product_id" in response.get_json()["errors"]
    response = client.patch(f"/crm/product/product_id/{product_id}", headers=admin_headers,
                            json={"retail_cost": "16.50"})
    assert response.status_code == 200 and response.get_json()["retail_cost"] == "16.50"
    with app.app_context():
        row = db.session.get(Product, product_id)
        assert row.created == created_at and row.last_modified > modified_at
        actions = db.session.scalars(select(ActivityLog.action).where(ActivityLog.entity_type == "product")).all()
    assert actions == ["create", "update"]


def test_invalid_fields_are_all_reported_and_nothing_is_written(app, client, admin_headers, plays, templates):
    response = client.post("/crm/product/", headers=admin_headers, json={
        **FULL, "product_slug": "has space", "category": "plan", "service_type": "satellite",
        "retail_cost": "-1", "wholesale_cost": "abc", "tax_percentage": "100.5", "auto_renew": "maybe",
        "provisioning_json_vars": "{not json", "inventory_items_list": "['SIM Card', 'sim card']",
        "contract_days": -3, "colour": "red", "available_from": "2025-02-01", "available_until": "2025-01-01"})
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert set(errors) >= {"product_slug", "category", "service_type", "retail_cost", "wholesale_cost",
                           "tax_percentage", "auto_renew", "provisioning_json_vars", "inventory_items_list",
                           "contract_days", "colour", "available_until"}
    assert "sim card" in errors["inventory_items_list"]  # names are case-sensitive
    assert _count(app) == 0


def test_playbook_must_exist_in_the_configured_folder(app, client, admin_headers, plays, templates):
    for play, fragment in (("play_not_written", "no playbook"), ("play_local_mobile_sim.yaml", "without"),
                           ("../etc/passwd", "file name")):
        response = client.post("/crm/product/", headers=admin_headers, json={**FULL, "provisioning_play": play})
        assert response.status_code == 400
        assert fragment in response.get_json()["errors"]["provisioning_play"]
    (plays / "play_not_written.yaml").write_text("- hosts: localhost\n")
    assert client.post("/crm/product/", headers=admin_headers,
                       json={**FULL, "provisioning_play": "play_not_written"}).status_code == 201


def test_json_vars_must_be_a_json_object(client, admin_headers, plays, templates):
    for bad in ("[1, 2]", "42", "{'single': 'quotes'}"):
        response = client.post("/crm/product/", headers=admin_headers, json={**FULL, "provisioning_json_vars": bad})
        assert response.status_code == 400, bad
    body = _create(client, admin_headers, provisioning_json_vars={"data_gb": 5})
    assert json.loads(body["provisioning_json_vars"]) == {"data_gb": 5}


def test_slug_is_unique_ignoring_case(app, client, admin_headers, plays, templates):
    _create(client, admin_headers, product_slug="Mobile-SIM")
    response = client.post("/crm/product/", headers=admin_headers, json={**FULL, "product_slug": "mobile-sim"})
    assert response.status_code == 400 and "already used" in response.get_json()["errors"]["product_slug"]
    assert _count(app) == 1


def test_the_specifications_list_spellings_are_stored_as_lists(app, client, admin_headers, plays, templates):
    client.post("/crm/inventory/template/", headers=admin_headers, json={
        "item": "Modem Router", "wholesale_cost": 1, "retail_cost": 0, "itemtext1_label": "MAC",
        "itemtext2_label": "Serial"})
    cases = [
        ("[\"SIM Card\", 'Mobile Number']", "[\"Australian Phone Number (04xxx)\", 'Fastest speeds']",
         ["SIM Card", "Mobile Number"], ["Australian Phone Number (04xxx)", "Fastest speeds"]),
        ("[]", ["'8GB of Ultra fast data', 'Unlimited Calls & Texts', '30 Day Expiry'"],
         [], ["8GB of Ultra fast data", "Unlimited Calls & Texts", "30 Day Expiry"]),
        (["'Modem Router'"], "[‘£5 credit’, ‘Valid for 180 days’]", ["Modem Router"],
         ["£5 credit", "Valid for 180 days"]),
        ([], ["20GB High-Speed Data", "Unlimited Calls & Texts"], [],
         ["20GB High-Speed Data", "Unlimited Calls & Texts"]),
    ]
    for n, (inventory_list, features, want_inventory, want_features) in enumerate(cases):
        body = _create(client, admin_headers, product_slug=f"spelling-{n}", inventory_items_list=inventory_list,
                       features_list=features)
        assert body["inventory_items_list"] == want_inventory
        assert body["features_list"] == want_features
    response = client.post("/crm/product/", headers=admin_headers,
                           json={**FULL, "product_slug": "bad-list", "features_list": "['unterminated"})
    assert response.status_code == 400 and "features_list" in response.get_json()["errors"]


def test_relies_on_list_takes_product_ids_and_service_types(client, admin_headers, plays, templates):
    base = _create(client, admin_headers)
    body = _create(client, admin_headers, product_slug="addon", category="addon",
                   relies_on_list=f"[{base['product_id']}, 'mobile']")
    assert body["relies_on_list"] == [base["product_id"], "mobile"]
    response = client.post("/crm/product/", headers=admin_headers,
                           json={**FULL, "product_slug": "x", "relies_on_list": [999, "satellite"]})
    assert response.status_code == 400
    assert "999" in response.get_json()["errors"]["relies_on_list"]


def test_clone_copies_with_suffix_and_starts_disabled(client, admin_headers, plays, templates):
    original = _create(client, admin_headers)
    first = client.post(f"/crm/product/product_id/{original['product_id']}/clone", headers=admin_headers)
    assert first.status_code == 201
    clone = first.get_json()
    assert clone["product_name"] == "Prepaid Mobile 20GB_clone"
    assert clone["product_slug"] == "prepaid-mobile-20gb_clone"
    assert clone["enabled"] is False and clone["product_id"] != original["product_id"]
    assert clone["inventory_items_list"] == original["inventory_items_list"]
    assert clone["retail_cost"] == original["retail_cost"]
    second = client.post(f"/crm/product/product_id/{original['product_id']}/clone", headers=admin_headers)
    assert second.get_json()["product_slug"] == "prepaid-mobile-20gb_clone2"


def test_enable_disable_and_delete_rules(app, client, admin_headers, plays, templates):
    product = _create(client, admin_headers)
    product_id = product["product_id"]
    response = client.patch(f"/crm/product/product_id/{product_id}", headers=admin_headers, json={"enabled": False})
    assert response.status_code == 200 and response.get_json()["enabled"] is False
    customer_id = make_customer(app)
    make_service(app, customer_id, product_id=product_id)
    response = client.delete(f"/crm/product/product_id/{product_id}", headers=admin_headers)
    assert response.status_code == 409 and "disable" in response.get_json()["message"]
    other = _create(client, admin_headers, product_slug="unused")
    assert client.delete(f"/crm/product/product_id/{other['product_id']}", headers=admin_headers).status_code == 200
    assert client.get(f"/crm/product/product_id/{other['product_id']}", headers=admin_headers).status_code == 404
    with app.app_context():
        actions = db.session.scalars(select(ActivityLog.action).where(ActivityLog.entity_type == "product")
                                     .order_by(ActivityLog.activity_id)).all()
    assert "disable" in actions and actions[-1] == "delete"


def test_permissions_on_writes(client, make_user, plays, templates):
    viewer = make_user(permissions=["view_product"])
    assert client.post("/crm/product/", json=FULL, headers=viewer).status_code == 403
    writer = make_user(permissions=["view_product", "create_product"])
    assert client.post("/crm/product/", json=FULL, headers=writer).status_code == 201
