"""The demo customers load, are idempotent, and are findable."""
from omnicrm.customers.seed import seed_demo


def test_seed_demo_creates_spec_customers_once(app, client, admin_headers):
    with app.app_context():
        assert seed_demo() == {"customers": 2}
        assert seed_demo() == {"customers": 0}
    listed = client.get("/crm/customers?sort=customer_name", headers=admin_headers).get_json()["data"]
    assert [c["customer_name"] for c in listed] == ["Compañía ABC", "John Smith"]
    abc = client.get(f"/crm/customer/customer_id/{listed[0]['customer_id']}", headers=admin_headers).get_json()
    assert len(abc["contacts"]) == 2 and len(abc["sites"]) == 2 and abc["tags"][0]["tag_text"] == "Cliente VIP"
    assert abc["sites"][0]["plus_code"] == "9C3XGV4C+XV"
    hits = client.get("/crm/utilities/search_everything?search=07700900123", headers=admin_headers).get_json()
    assert [r["type"] for r in hits["data"]] == ["contact"]
