"""The tag-filtered customer list at scale: common tags walk the sorted list, counts stop at a cap."""
from omnicrm.customers import listing
from tests.customers.helpers import create_customer


def get(client, headers, url, **params):
    response = client.get(url, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def tag(client, headers, customer_id, text, active="2020-01-01 00:00:00", **fields):
    response = client.put("/crm/tag/", json={"customer_id": customer_id, "tag_text": text, "tag_hex_color": "FFD700",
                                             "tag_active_date": active, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()


def test_tag_filtered_list_for_common_and_rare_tags(client, admin_headers, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    ids = {name: create_customer(client, admin_headers, customer_name=name)["customer_id"]
           for name in ("Delta", "Alpha", "Echo", "Bravo", "Charlie")}
    for name in ("Delta", "Alpha", "Echo", "Bravo"):
        tag(client, admin_headers, ids[name], "VIP")
    tag(client, admin_headers, ids["Charlie"], "VIP", active="2098-06-01 00:00:00")  # not active yet
    tag(client, admin_headers, ids["Echo"], "Fraud")
    client.patch(f"/crm/customer/customer_id/{ids['Bravo']}", json={"customer_status": "Suspended"},
                 headers=admin_headers)

    def names(**params):
        body = get(client, admin_headers, "/crm/customers", sort="customer_name", **params)
        return [c["customer_name"] for c in body["data"]], body["pagination"]

    # "VIP" has more holders than the cap: the list walks the name order and probes each customer's tags.
    data, pagination = names(filters='{"tag":["VIP"]}', per_page=2)
    assert data == ["Alpha", "Bravo"]
    assert pagination["total_items"] == 2 and pagination["total_is_estimate"] is True
    assert names(filters='{"tag":["VIP"]}', per_page=2, page=2)[0] == ["Delta", "Echo"]
    assert names(filters='{"tag":["VIP"],"customer_status":["Open"]}', per_page=5)[0] == ["Alpha", "Delta", "Echo"]
    # A rare tag is collected and counted exactly.
    data, pagination = names(filters='{"tag":["Fraud"]}')
    assert data == ["Echo"]
    assert pagination["total_items"] == 1 and "total_is_estimate" not in pagination
    monkeypatch.setattr(listing, "COUNT_CAP", 1000)
    data, pagination = names(filters='{"tag":["VIP"]}')
    assert data == ["Alpha", "Bravo", "Delta", "Echo"] and pagination["total_items"] == 4
    assert "total_is_estimate" not in pagination
