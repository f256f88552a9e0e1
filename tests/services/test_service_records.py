"""Service records over HTTP: create (PUT), read by id / service_id / service_uuid, PATCH rules, delete, the
management list, status dates, bundles, customer visibility (spec 04 §6, 05 §1-3)."""
import json

from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.billing.models import Transaction
from omnicrm.services.models import Service
from tests.services.helpers import create_service, make_customer, make_product, make_site


def test_put_creates_service_with_defaults_and_returns_service_id(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    product_id = make_product(app, "Prepaid Mobile 20GB", category="standalone")
    body = create_service(client, admin_headers, customer_id, product_id=product_id,
                          service_uuid="Mobile_SIM_c2880638", service_status="Active",
                          service_provisioned_date="2025-01-15T10:00:00+10:00", icon="fa-sim-card")
    assert isinstance(body["service_id"], int)
    for flag in ("service_billed", "service_taxable", "service_visible_to_customer",
                 "service_usage_visible_to_customer"):
        assert body[flag] is True
    assert body["invoiced"] is False
    assert body["retail_cost"] == "30.00"
    assert body["service_provisioned_date"] == "2025-01-15T00:00:00Z"  # stored as UTC
    assert body["service_active_date"] is not None
    assert body["provisioning_play"] == "play_topup_charge_then_action"  # inherited from the product
    assert json.loads(body["provisioning_json_vars"]) == {"data_gb": 5}
    assert body["customer_name"] == "Acme Corp" and body["product_name"] == "Prepaid Mobile 20GB"
    with app.app_context():
        entry = db.session.scalars(select(ActivityLog).where(ActivityLog.entity_type == "service")).one()
        assert entry.action == "create" and entry.customer_id == customer_id


def test_post_is_accepted_too_and_uuid_is_generated_when_missing(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    response = client.post("/crm/service/", json={"customer_id": customer_id, "service_name": "Fibre",
                                                 "service_type": "internet"}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["service_uuid"].startswith("Internet_")


def test_create_rejects_bad_input_without_writing(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    other_customer, _ = make_customer(app, "Other Ltd")
    site_of_other = make_site(app, other_customer)
    response = client.put("/crm/service/", json={
        "customer_id": 99999, "service_type": "spaceship", "retail_cost": "-1", "invoiced": True,
        "colour": "red"}, headers=admin_headers)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert set(errors) >= {"customer_id", "service_name", "service_type", "retail_cost", "invoiced", "colour"}
    response = client.put("/crm/service/", json={"customer_id": customer_id, "service_name": "x",
                                                "site_id": site_of_other}, headers=admin_headers)
    assert response.status_code == 400 and "site_id" in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalars(select(Service)).all() == []


def test_duplicate_service_uuid_is_a_conflict(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    create_service(client, admin_headers, customer_id, service_uuid="Mobile_dup")
    response = client.put("/crm/service/", json={"customer_id": customer_id, "service_name": "again",
                                                "service_uuid": "Mobile_dup"}, headers=admin_headers)
    assert response.status_code == 409
    assert "service_uuid" in response.get_json()["errors"]


def test_get_by_id_both_paths_and_by_uuid(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    created = create_service(client, admin_headers, customer_id, service_uuid="Mobile_abc123")
    sid = created["service_id"]
    for path in (f"/crm/service/{sid}", f"/crm/service/service_id/{sid}", "/crm/service/service_uuid/Mobile_abc123"):
        response = client.get(path, headers=admin_headers)
        assert response.status_code == 200, path
        assert response.get_json()["service_id"] == sid
        assert response.get_json()["customer_id"] == customer_id
    assert client.get("/crm/service/service_uuid/Nope_1", headers=admin_headers).status_code == 404
    assert client.get("/crm/service/424242", headers=admin_headers).status_code == 404


def test_patch_updates_every_editable_field(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    site_id = make_site(app, customer_id)
    sid = create_service(client, admin_headers, customer_id)["service_id"]
    changes = {
        "service_name": "Mobile - +44 7700 900123", "service_type": "voip", "service_status": "Suspended",
        "service_notes": "VIP", "retail_cost": "45.50", "wholesale_cost": "7.25", "service_billed": False,
        "service_taxable": False, "service_visible_to_customer": False,
        "service_usage_visible_to_customer": False, "service_active_date": "2025-01-01",
        "service_deactivate_date": "2025-12-31T23:59:59Z", "contract_end_date": "2026-01-31", "icon": "fa-phone",
        "promo_code": "SPRING", "site_id": site_id}
    response = client.patch(f"/crm/service/{sid}", json=changes, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    body = client.get(f"/crm/service/{sid}", headers=admin_headers).get_json()
    assert body["service_name"] == "Mobile - +44 7700 900123"
    assert body["service_type"] == "voip" and body["service_status"] == "Suspended"
    assert body["retail_cost"] == "45.50" and body["wholesale_cost"] == "7.25"
    assert body["service_billed"] is False and body["service_taxable"] is False
    assert body["service_visible_to_customer"] is False and body["service_usage_visible_to_customer"] is False
    assert body["service_active_date"] == "2025-01-01T00:00:00Z"
    assert body["service_deactivate_date"] == "2025-12-31T23:59:59Z"
    assert body["contract_end_date"] == "2026-01-31T00:00:00Z"
    assert body["icon"] == "fa-phone" and body["promo_code"] == "SPRING" and body["site_id"] == site_id
    assert body["service_notes"] == "VIP"
    with app.app_context():
        entry = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "status")).one()
        assert json.loads(entry.changes)["retail_cost"] == {"before": "30.00", "after": "45.50"}


def test_patch_refuses_read_only_fields_and_changes_nothing(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    other_customer, _ = make_customer(app, "Other")
    created = create_service(client, admin_headers, customer_id, service_uuid="Mobile_ro1")
    sid = created["service_id"]
    for field, value in (("service_uuid", "Mobile_other"), ("customer_id", other_customer), ("product_id", 1),
                         ("provisioning_play", "x"), ("bundled_parent", sid), ("invoiced", True),
                         ("created", "2020-01-01"), ("service_id", 5)):
        response = client.patch(f"/crm/service/{sid}", json={field: value, "service_name": "Renamed"},
                                headers=admin_headers)
        assert response.status_code == 400, field
        assert response.get_json()["errors"][field] == "is read-only"
    after = client.get(f"/crm/service/{sid}", headers=admin_headers).get_json()
    assert after["service_uuid"] == "Mobile_ro1" and after["customer_id"] == customer_id
    assert after["service_name"] == created["service_name"] and after["invoiced"] is False


def test_patch_rejects_bad_values(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    sid = create_service(client, admin_headers, customer_id)["service_id"]
    response = client.patch(f"/crm/service/{sid}", json={"service_status": "Sleeping", "retail_cost": "abc",
                                                        "service_billed": None, "service_name": ""},
                            headers=admin_headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"service_status", "retail_cost", "service_billed", "service_name"}
    assert client.patch(f"/crm/service/{sid}", json={}, headers=admin_headers).status_code == 400


def test_status_changes_stamp_dates(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    sid = create_service(client, admin_headers, customer_id, service_status="Pending Cancellation")["service_id"]
    body = client.get(f"/crm/service/{sid}", headers=admin_headers).get_json()
    assert body["service_active_date"] is None and body["service_deactivate_date"] is None
    body = client.patch(f"/crm/service/{sid}", json={"service_status": "Active"}, headers=admin_headers).get_json()
    assert body["service_active_date"] is not None
    body = client.patch(f"/crm/service/{sid}", json={"service_status": "Deactivated"},
                        headers=admin_headers).get_json()
    assert body["service_status"] == "Deactivated" and body["service_deactivate_date"] is not None
    body = client.patch(f"/crm/service/{sid}", json={"service_status": "Inactive",
                                                    "service_deactivate_date": "2030-05-01"},
                        headers=admin_headers).get_json()
    assert body["service_deactivate_date"] == "2030-05-01T00:00:00Z"  # an explicit date wins


def test_bundles_parent_and_children(app, client, admin_headers):
    customer_id, _ = make_customer(app)
    other_customer, _ = make_customer(app, "Other")
    parent = create_service(client, admin_headers, customer_id, service_name="Seniors package")["service_id"]
    child = create_service(client, admin_headers, customer_id, service_name="Seniors voice",
                           bundled_parent=parent)["service_id"]
    response = client.put("/crm/service/", json={"customer_id": other_customer, "service_name": "x",
                                                "bundled_parent": parent}, headers=admin_headers)
    assert response.status_code == 400 and "bundled_parent" in response.get_json()["errors"]
    body = client.get(f"/crm/service/{parent}", headers=admin_headers).get_json()
    assert body["bundled_services"] == [{"service_id": child, "service_name": "Seniors voice",
                                         "service_status": "Active"}]
    listing = client.get(f'/crm/service/?filters={json.dumps({"bundled_parent": [parent]})}',
                         headers=admin_headers).get_json()
    assert [s["service_id"] for s in listing["data"]] == [child]


def test_service_list_convention(app, client, admin_headers):
    acme, _ = make_customer(app, "Acme Corp")
    zeta, _ = make_customer(app, "Zeta Telecom")
    ids = [create_service(client, admin_headers, acme, service_name="Mobile - 07700 111", retail_cost=10)["service_id"],
           create_service(client, admin_headers, zeta, service_name="Fibre 1G", service_type="internet",
                          retail_cost=50, service_uuid="Internet_ffee0770")["service_id"],
           create_service(client, admin_headers, acme, service_name="VoIP line", service_type="voip",
                          service_status="Suspended", retail_cost=20)["service_id"]]
    body = client.get("/crm/service/", headers=admin_headers).get_json()
    assert [s["service_id"] for s in body["data"]] == ids[::-1]  # newest first by default
    assert body["pagination"] == {"current_page": 1, "per_page": 20, "total_pages": 1, "total_items": 3}
    body = client.get("/crm/service/?sort=retail_cost&order=desc&per_page=2", headers=admin_headers).get_json()
    assert [s["retail_cost"] for s in body["data"]] == ["50.00", "20.00"]
    assert body["pagination"]["total_pages"] == 2
    filters = json.dumps({"service_type": ["mobile", "voip"]})
    body = client.get(f"/crm/service/?filters={filters}", headers=admin_headers).get_json()
    assert {s["service_id"] for s in body["data"]} == {ids[0], ids[2]}
    filters = json.dumps({"service_status": ["Suspended"]})
    assert [s["service_id"] for s in client.get(f"/crm/service/?filters={filters}",
                                                headers=admin_headers).get_json()["data"]] == [ids[2]]
    # free text: name / phone fragment, uuid fragment, customer name, service id
    assert {s["service_id"] for s in client.get("/crm/service/?search=0770", headers=admin_headers)
            .get_json()["data"]} == {ids[0], ids[1]}
    assert [s["service_id"] for s in client.get("/crm/service/?search=zeta", headers=admin_headers)
            .get_json()["data"]] == [ids[1]]
    assert client.get("/crm/service/?sort=colour", headers=admin_headers).status_code == 400
    assert client.get('/crm/service/?filters={"colour": ["red"]}', headers=admin_headers).status_code == 400
    body = client.get("/crm/service/?sort=customer_name&order=asc", headers=admin_headers).get_json()
    assert body["data"][-1]["customer_name"] == "Zeta Telecom"


def test_permissions_and_customer_visibility(app, client, admin_headers, make_user):
    customer_id, contact_id = make_customer(app, "Self Care Ltd", with_contact=True)
    other_id, _ = make_customer(app, "Someone Else")
    mine = create_service(client, admin_headers, customer_id, service_notes="internal only")["service_id"]
    hidden = create_service(client, admin_headers, customer_id, service_visible_to_customer=False)["service_id"]
    theirs = create_service(client, admin_headers, other_id)["service_id"]

    me = make_user(permissions=["view_own_customer_service"], contact_id=contact_id)
    listing = client.get("/crm/service/", headers=me).get_json()
    assert [s["service_id"] for s in listing["data"]] == [mine]
    body = client.get(f"/crm/service/{mine}", headers=me).get_json()
    assert "service_notes" not in body and "wholesale_cost" not in body
    assert client.get(f"/crm/service/{hidden}", headers=me).status_code == 404
    assert client.get(f"/crm/service/{theirs}", headers=me).status_code == 404
    assert client.patch(f"/crm/service/{mine}", json={"service_name": "x"}, headers=me).status_code == 403
    assert client.delete(f"/crm/service/{mine}", headers=me).status_code == 403
    assert client.put("/crm/service/", json={"customer_id": customer_id, "service_name": "x"},
                      headers=me).status_code == 403

    viewer = make_user(permissions=["view_customer_service"])
    assert client.get(f"/crm/service/{theirs}", headers=viewer).status_code == 200
    assert client.patch(f"/crm/service/{theirs}", json={"service_name": "x"}, headers=viewer).status_code == 403
    assert client.get("/crm/service/").status_code == 401


def test_delete_releases_inventory_keeps_transactions_and_logs(app, client, admin_headers):
    from omnicrm.inventory.models import Inventory, InventoryTemplate
    customer_id, _ = make_customer(app)
    sid = create_service(client, admin_headers, customer_id)["service_id"]
    with app.app_context():
        template = InventoryTemplate(item="SIM Card")
        db.session.add(template)
        db.session.flush()
        db.session.add(Inventory(item="SIM Card", inventory_template_id=template.inventory_template_id,
                                 itemtext1="8961000000000000001", customer_id=customer_id, service_id=sid,
                                 item_state="Assigned"))
        db.session.add(Transaction(customer_id=customer_id, service_id=sid, title="Setup"))
        db.session.commit()
    response = client.delete(f"/crm/service/{sid}", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["inventory_released"] == 1
    assert client.get(f"/crm/service/{sid}", headers=admin_headers).status_code == 404
    with app.app_context():
        item = db.session.scalars(select(Inventory)).one()
        assert (item.service_id, item.customer_id, item.item_state) == (None, None, "In Stock")
        assert db.session.scalars(select(Transaction)).one().service_id is None
        entry = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "delete")).one()
        assert entry.customer_id == customer_id and str(sid) in entry.description
    assert client.delete(f"/crm/service/{sid}", headers=admin_headers).status_code == 404


def test_bulk_operations_report_each_item(app, client, admin_headers, make_user):
    customer_id, _ = make_customer(app)
    a = create_service(client, admin_headers, customer_id)["service_id"]
    b = create_service(client, admin_headers, customer_id)["service_id"]
    response = client.post("/crm/service/bulk", json={"action": "set_status", "service_status": "Suspended",
                                                     "service_ids": [a, 999999, b]}, headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["succeeded"], body["failed"]) == (2, 1)
    assert [r["ok"] for r in body["results"]] == [True, False, True]
    assert body["results"][1]["status_code"] == 404
    for sid in (a, b):
        assert client.get(f"/crm/service/{sid}", headers=admin_headers).get_json()["service_status"] == "Suspended"

    support = make_user(permissions=["update_customer_service", "view_customer_service"])
    response = client.post("/crm/service/bulk", json={"action": "delete", "service_ids": [a]}, headers=support)
    assert response.status_code == 403
    response = client.post("/crm/service/bulk", json={"action": "explode", "service_ids": []},
                           headers=admin_headers)
    assert response.status_code == 400 and set(response.get_json()["errors"]) == {"action", "service_ids"}

    body = client.post("/crm/service/bulk", json={"action": "delete", "service_ids": [a, b]},
                       headers=admin_headers).get_json()
    assert body["succeeded"] == 2
    with app.app_context():
        assert db.session.scalars(select(Service)).all() == []
        assert len(db.session.scalars(select(ActivityLog).where(ActivityLog.action == "delete")).all()) == 2
