"""Customers over HTTP: create, read, list, update, status rules, archive/restore, view-own, activity entries."""
import json

from sqlalchemy import select

from omnicrm import db
from omnicrm.customers.models import Contact, Customer, CustomerCount
from tests.customers.helpers import activity_entries, add_contact, add_site, create_customer, customer_user


def test_create_and_read_customer_with_contacts_sites_tags_attributes(app, client, admin_headers):
    created = create_customer(client, admin_headers, customer_name="Compañía ABC",
                              customer_account_type="Business", customer_payment_type="prepaid",
                              tax_identifier="GB123456789", contract_start_date="2025-01-01",
                              contract_end_date="2026-12-31",
                              contacts=[{"contact_firstname": "John", "contact_lastname": "Smith",
                                         "contact_email": "john@abc.example", "contact_types": ["Billing"]}],
                              sites=[{"site_name": "Oficina Principal", "latitude": 51.5074,
                                      "longitude": -0.1278, "address_line_1": "123 Main Street"}])
    cid = created["customer_id"]
    assert created["customer_status"] == "Open" and created["customer_enabled"] is True
    assert created["contract_end_date"] == "2026-12-31T23:59:59Z"
    client.put("/crm/tag/", json={"customer_id": cid, "tag_text": "VIP", "tag_hex_color": "FFD700",
                                  "tag_active_date": "2025-01-01 00:00:00"}, headers=admin_headers)
    client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "external_crm_id",
                                        "attribute_value": "SF-12345"}, headers=admin_headers)

    body = client.get(f"/crm/customer/customer_id/{cid}", headers=admin_headers).get_json()
    assert body["customer_name"] == "Compañía ABC"
    assert body["customer_account_type"] == "Business" and body["customer_payment_type"] == "prepaid"
    assert body["tax_identifier"] == "GB123456789"
    assert [(c["contact_email"], c["contact_firstname"], c["contact_lastname"], c["contact_types"])
            for c in body["contacts"]] == [("john@abc.example", "John", "Smith", "Billing")]
    assert body["sites"][0]["plus_code"] == "9C3XGV4C+XV"
    assert [t["tag_text"] for t in body["tags"]] == ["VIP"]
    assert [(a["attribute_name"], a["attribute_value"]) for a in body["attributes"]] == \
        [("external_crm_id", "SF-12345")]
    log = activity_entries(app, cid)
    assert [(e["entity_type"], e["action"]) for e in log] == [
        ("customer", "create"), ("contact", "create"), ("site", "create"), ("customer", "welcome_email"),
        ("tag", "create"),
        ("attribute", "create")]
    assert all(e["actor"] == "user:admin@example.com" and e["user_id"] for e in log)


def test_create_validation_lists_every_bad_field_and_writes_nothing(app, client, admin_headers):
    response = client.put("/crm/customer/", json={
        "customer_account_type": "Corporate", "customer_payment_type": "credit", "contract_start_date": "soon",
        "customer_enabled": False, "contacts": [{"contact_firstname": "A", "contact_email": "not-an-email"}],
        "sites": [{"site_name": "No coordinates"}]}, headers=admin_headers)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert set(errors) >= {"customer_name", "customer_account_type", "customer_payment_type",
                           "contract_start_date", "customer_enabled", "contacts[0].contact_email"}
    with app.app_context():
        assert db.session.scalars(select(Customer)).all() == []
        assert db.session.scalars(select(Contact)).all() == []
    assert activity_entries(app) == []


def test_site_without_coordinates_in_nested_create_rolls_back_everything(app, client, admin_headers):
    response = client.put("/crm/customer/", json={"customer_name": "Half", "sites": [{"site_name": "Nowhere"}]},
                          headers=admin_headers)
    assert response.status_code == 400
    assert "sites[0].latitude" in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalars(select(Customer)).all() == []


def test_contract_end_before_start_is_refused(client, admin_headers):
    response = client.put("/crm/customer/", json={"customer_name": "X", "contract_start_date": "2025-06-01",
                                                  "contract_end_date": "2025-01-01"}, headers=admin_headers)
    assert response.status_code == 400
    assert "contract_end_date" in response.get_json()["errors"]


def test_unknown_customer_is_404(client, admin_headers):
    for method, path in (("get", "/crm/customer/customer_id/999"), ("patch", "/crm/customer/customer_id/999"),
                         ("delete", "/crm/customer/customer_id/999"),
                         ("post", "/crm/customer/customer_id/999/restore")):
        kwargs = {"json": {"customer_name": "x"}} if method == "patch" else {}
        response = getattr(client, method)(path, headers=admin_headers, **kwargs)
        assert response.status_code == 404, (method, path)
        assert "999" in response.get_json()["message"]


def test_update_writes_before_and_after_to_the_log(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.patch(f"/crm/customer/customer_id/{cid}",
                            json={"customer_name": "Jane Smith", "tax_identifier": "VAT-1"}, headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["customer_name"] == "Jane Smith"
    entry = activity_entries(app, cid)[-1]
    assert entry["action"] == "update"
    assert entry["changes"]["customer_name"] == {"before": "Jane Doe", "after": "Jane Smith"}
    assert entry["changes"]["tax_identifier"] == {"before": None, "after": "VAT-1"}


def test_update_refuses_read_only_and_unknown_fields(client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.patch(f"/crm/customer/customer_id/{cid}",
                            json={"customer_id": 5, "customer_enabled": False, "colour": "red",
                                  "customer_name": ""}, headers=admin_headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"customer_id", "customer_enabled", "colour", "customer_name"}


def test_status_transitions_and_409_listing_the_allowed_ones(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    path = f"/crm/customer/customer_id/{cid}"
    response = client.patch(path, json={"customer_status": "Suspended"}, headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["customer_enabled"] is False
    assert client.patch(path, json={"customer_status": "Closed"}, headers=admin_headers).status_code == 200
    response = client.patch(path, json={"customer_status": "Suspended"}, headers=admin_headers)
    assert response.status_code == 409
    assert response.get_json()["allowed_statuses"] == ["Open"]
    assert response.get_json()["current_status"] == "Closed"
    response = client.patch(path, json={"customer_status": "Archived"}, headers=admin_headers)
    assert response.status_code == 409 and "DELETE" in response.get_json()["message"]
    assert client.patch(path, json={"customer_status": "Open"}, headers=admin_headers).status_code == 200
    status_entries = [e for e in activity_entries(app, cid) if e["action"] == "status"]
    assert [e["changes"]["customer_status"] for e in status_entries] == [
        {"before": "Open", "after": "Suspended"}, {"before": "Suspended", "after": "Closed"},
        {"before": "Closed", "after": "Open"}]
    response = client.patch(path, json={"customer_status": "Dormant"}, headers=admin_headers)
    assert response.status_code == 400 and "customer_status" in response.get_json()["errors"]


def test_delete_archives_and_restore_brings_back_previous_status(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    add_contact(client, admin_headers, cid)
    client.patch(f"/crm/customer/customer_id/{cid}", json={"customer_status": "Suspended"}, headers=admin_headers)
    response = client.delete(f"/crm/customer/customer_id/{cid}", headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["customer_status"] == "Archived"
    body = client.get(f"/crm/customer/customer_id/{cid}", headers=admin_headers).get_json()
    assert body["customer_status"] == "Archived" and len(body["contacts"]) == 1  # data kept
    listed = client.get("/crm/customers", headers=admin_headers).get_json()
    assert listed["data"] == [] and listed["pagination"]["total_items"] == 0
    archived = client.get('/crm/customers?filters={"customer_status":["Archived"]}', headers=admin_headers)
    assert [c["customer_id"] for c in archived.get_json()["data"]] == [cid]
    # an archived customer is read-only, its records too
    assert client.patch(f"/crm/customer/customer_id/{cid}", json={"customer_name": "X"},
                        headers=admin_headers).status_code == 409
    assert client.put("/crm/contact/", json={"customer_id": cid, "contact_firstname": "Late"},
                      headers=admin_headers).status_code == 409
    assert client.delete(f"/crm/customer/customer_id/{cid}", headers=admin_headers).status_code == 409

    response = client.post(f"/crm/customer/customer_id/{cid}/restore", headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["customer_status"] == "Suspended"
    assert client.post(f"/crm/customer/customer_id/{cid}/restore", headers=admin_headers).status_code == 409
    actions = [e["action"] for e in activity_entries(app, cid, "customer")]
    assert actions[-2:] == ["delete", "restore"]


def test_delete_refused_while_services_invoices_or_uninvoiced_transactions_remain(app, client, admin_headers):
    from omnicrm.billing.models import Invoice, Transaction
    from omnicrm.services.models import Service
    cid = create_customer(client, admin_headers)["customer_id"]
    with app.app_context():
        service = Service(customer_id=cid, service_name="Mobile", service_uuid="Service_aa11bb22",
                          service_status="Active")
        invoice = Invoice(customer_id=cid, retail_cost=10, paid=False, void=False)
        db.session.add_all([service, invoice])
        db.session.flush()
        db.session.add(Transaction(customer_id=cid, title="Setup", retail_cost=5))
        db.session.commit()
        service_id, invoice_id = service.service_id, invoice.invoice_id
    response = client.delete(f"/crm/customer/customer_id/{cid}", headers=admin_headers)
    assert response.status_code == 409
    body = response.get_json()
    assert set(body["errors"]) == {"services", "invoices", "transactions"}
    assert "active service" in body["message"] and "unpaid invoice" in body["message"]
    with app.app_context():
        db.session.get(Service, service_id).service_status = "Deactivated"
        db.session.get(Invoice, invoice_id).paid = True
        for t in db.session.scalars(select(Transaction)):
            t.invoice_id = invoice_id
        db.session.commit()
    assert client.delete(f"/crm/customer/customer_id/{cid}", headers=admin_headers).status_code == 200


def test_list_convention_filters_sort_and_search(app, client, admin_headers):
    ids = {}
    for name, kind, pay in (("Acme Corp", "Business", "postpaid"), ("Bob Brown", "Individual", "prepaid"),
                            ("Carla Smithson", "Individual", "postpaid"), ("Delta Ltd", "Business", "prepaid")):
        ids[name] = create_customer(client, admin_headers, customer_name=name, customer_account_type=kind,
                                    customer_payment_type=pay)["customer_id"]
    client.patch(f"/crm/customer/customer_id/{ids['Delta Ltd']}", json={"customer_status": "Suspended"},
                 headers=admin_headers)
    client.put("/crm/tag/", json={"customer_id": ids["Bob Brown"], "tag_text": "Overdue", "tag_hex_color": "FF0000",
                                  "tag_active_date": "2020-01-01"}, headers=admin_headers)
    client.put("/crm/attribute/", json={"customer_id": ids["Acme Corp"], "attribute_name": "support_tier",
                                        "attribute_value": "premium"}, headers=admin_headers)

    def names(query):
        response = client.get(f"/crm/customers?{query}", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        return [c["customer_name"] for c in response.get_json()["data"]], response.get_json()["pagination"]

    assert names("sort=customer_name&order=desc")[0] == ["Delta Ltd", "Carla Smithson", "Bob Brown", "Acme Corp"]
    data, pagination = names("per_page=2&page=2&sort=customer_name")
    assert data == ["Carla Smithson", "Delta Ltd"]
    assert pagination == {"current_page": 2, "per_page": 2, "total_pages": 2, "total_items": 4}
    assert names('filters={"customer_status":["Open"]}&sort=customer_name')[0] == \
        ["Acme Corp", "Bob Brown", "Carla Smithson"]
    assert names('filters={"customer_status":["Open"]}')[1]["total_items"] == 3
    assert names('filters={"customer_account_type":["Business"],"customer_payment_type":["prepaid"]}')[0] == \
        ["Delta Ltd"]
    assert names('filters={"tag":["Overdue"]}')[0] == ["Bob Brown"]
    assert names('filters={"attribute.support_tier":["premium"]}')[0] == ["Acme Corp"]
    assert names('filters={"created_from":["2000-01-01"],"created_to":["2999-01-01"]}')[1]["total_items"] == 4
    assert names('filters={"created_from":["2999-01-01"]}')[0] == []
    assert names("search=smith")[0] == ["Carla Smithson"]
    assert names(f"search={ids['Bob Brown']}")[0] == ["Bob Brown"]
    assert names("search=acme corp")[0] == ["Acme Corp"]
    response = client.get('/crm/customers?filters={"colour":["red"]}&sort=shoe_size', headers=admin_headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"filters.colour", "sort"}


def test_customer_counts_follow_creates_status_changes_and_archives(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    create_customer(client, admin_headers, customer_name="Other")
    client.patch(f"/crm/customer/customer_id/{cid}", json={"customer_status": "Closed"}, headers=admin_headers)
    with app.app_context():
        counts = {(c.customer_status, c.customer_account_type, c.customer_payment_type): c.customers
                  for c in db.session.scalars(select(CustomerCount)) if c.customers}
    assert counts == {("Open", "Individual", "postpaid"): 1, ("Closed", "Individual", "postpaid"): 1}
    response = client.get('/crm/customers?filters={"customer_status":["Closed"]}', headers=admin_headers)
    assert response.get_json()["pagination"]["total_items"] == 1


def test_view_own_customer_user_sees_only_its_customer(app, client, admin_headers, make_user):
    mine = create_customer(client, admin_headers, customer_name="Mine")["customer_id"]
    other = create_customer(client, admin_headers, customer_name="Other")["customer_id"]
    other_contact = add_contact(client, admin_headers, other)["contact_id"]
    other_site = add_site(client, admin_headers, other)["site_id"]
    headers = customer_user(app, client, make_user, mine)
    assert client.get(f"/crm/customer/customer_id/{mine}", headers=headers).status_code == 200
    for path in (f"/crm/customer/customer_id/{other}", f"/crm/contact/contact_id/{other_contact}",
                 f"/crm/site/site_id/{other_site}", f"/crm/site/customer_id/{other}",
                 f"/crm/contact/customer_id/{other}", f"/crm/attribute/customer_id/{other}",
                 f"/crm/tag/customer_id/{other}", f"/crm/activity/customer_id/{other}"):
        assert client.get(path, headers=headers).status_code == 404, path
    listed = client.get("/crm/customers", headers=headers).get_json()
    assert [c["customer_id"] for c in listed["data"]] == [mine]
    # view-own grants no writes
    assert client.patch(f"/crm/customer/customer_id/{mine}", json={"customer_name": "X"},
                        headers=headers).status_code == 403


def test_permissions_are_enforced(client, admin_headers, make_user):
    cid = create_customer(client, admin_headers)["customer_id"]
    reader = make_user(permissions=["view_customer"])
    assert client.get(f"/crm/customer/customer_id/{cid}", headers=reader).status_code == 200
    assert client.get("/crm/customers", headers=reader).status_code == 200
    assert client.put("/crm/customer/", json={"customer_name": "X"}, headers=reader).status_code == 403
    assert client.delete(f"/crm/customer/customer_id/{cid}", headers=reader).status_code == 403
    assert client.get("/crm/customers").status_code == 401


def test_api_key_changes_are_logged_with_the_key(app, client, admin_headers):
    key = "k" * 40
    app.config["CRM"]["api_keys"][key] = {"roles": ["admin"], "ips": None, "description": "Billing sync"}
    try:
        cid = create_customer(client, {"X-API-KEY": key})["customer_id"]
    finally:
        del app.config["CRM"]["api_keys"][key]
    entry = activity_entries(app, cid)[0]
    assert entry["actor"] == "api_key:Billing sync" and entry["user_id"] is None
    assert json.dumps(entry["changes"])  # created fields recorded as after-values
    assert entry["changes"]["customer_name"] == {"before": None, "after": "Jane Doe"}
