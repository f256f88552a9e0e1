"""GET /crm/activity: a customer's log, newest first, paginated and filterable; read-only."""
from tests.customers.helpers import add_contact, add_site, create_customer, customer_user


def test_customer_activity_is_paginated_newest_first_and_filterable(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    other = create_customer(client, admin_headers, customer_name="Other")["customer_id"]
    contact = add_contact(client, admin_headers, cid)
    add_site(client, admin_headers, cid)
    client.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={"contact_lastname": "Smyth"},
                 headers=admin_headers)
    client.delete(f"/crm/contact/contact_id/{contact['contact_id']}", headers=admin_headers)

    body = client.get(f"/crm/activity/customer_id/{cid}?per_page=2", headers=admin_headers).get_json()
    assert body["pagination"] == {"current_page": 1, "per_page": 2, "total_pages": 3, "total_items": 5}
    assert [(e["entity_type"], e["action"]) for e in body["data"]] == [("contact", "delete"), ("contact", "update")]
    assert body["data"][1]["changes"] == {"contact_lastname": {"before": "Smith", "after": "Smyth"}}
    assert body["data"][0]["actor"] == "user:admin@example.com" and body["data"][0]["created"].endswith("Z")
    filtered = client.get(f'/crm/activity/customer_id/{cid}?filters={{"entity_type":["contact"],'
                          f'"action":["delete","create"]}}', headers=admin_headers).get_json()
    assert [e["action"] for e in filtered["data"]] == ["delete", "create"]
    assert all(e["customer_id"] == cid for e in filtered["data"])
    oldest_first = client.get(f"/crm/activity/customer_id/{cid}?sort=activity_id&order=asc",
                              headers=admin_headers).get_json()
    assert oldest_first["data"][0]["entity_type"] == "customer"
    dated = client.get(f'/crm/activity/customer_id/{cid}?filters={{"created_from":["2999-01-01"]}}',
                       headers=admin_headers).get_json()
    assert dated["data"] == []
    entry_id = body["data"][0]["activity_id"]
    assert client.get(f"/crm/activity/activity_id/{entry_id}", headers=admin_headers).get_json()["action"] == \
        "delete"
    assert client.delete(f"/crm/activity/activity_id/{entry_id}", headers=admin_headers).status_code == 405
    assert client.get("/crm/activity/customer_id/99999", headers=admin_headers).status_code == 404
    bad = client.get('/crm/activity/customer_id/%d?filters={"colour":["x"]}' % other, headers=admin_headers)
    assert bad.status_code == 400


def test_customer_user_reads_its_own_activity_only(app, client, admin_headers, make_user):
    mine = create_customer(client, admin_headers)["customer_id"]
    other = create_customer(client, admin_headers, customer_name="Other")["customer_id"]
    headers = customer_user(app, client, make_user, mine)
    own = client.get(f"/crm/activity/customer_id/{mine}", headers=headers)
    assert own.status_code == 200 and own.get_json()["pagination"]["total_items"] >= 1
    assert client.get(f"/crm/activity/customer_id/{other}", headers=headers).status_code == 404
    other_entry = client.get(f"/crm/activity/customer_id/{other}", headers=admin_headers).get_json()["data"][0]
    assert client.get(f"/crm/activity/activity_id/{other_entry['activity_id']}", headers=headers).status_code == 404
