import pytest

SIM = {"item": "SIM Card", "icon": "fa-solid fa-sim-card", "wholesale_cost": "2.50", "retail_cost": "10.00",
       "itemtext1_label": "ICCID", "itemtext2_label": "IMSI", "itemtext3_label": "Ki", "itemtext4_label": "OPc",
       "itemtext5_label": "SIM Type", "secret_fields": ["itemtext3", "itemtext4"]}


@pytest.fixture
def sim_template(client, admin_headers):
    response = client.post("/crm/inventory/template/", json=SIM, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["inventory_template_id"]


@pytest.fixture
def add_sim(client, admin_headers, sim_template):
    """Create one SIM through the API and return its JSON."""
    counter = {"n": 0}

    def factory(**fields):
        counter["n"] += 1
        n = counter["n"]
        body = {"inventory_template_id": sim_template, "itemtext1": f"8961000000000000{n:03d}",
                "itemtext2": f"00101000000{n:04d}", "itemtext3": f"{n:032X}", "itemtext4": f"{n + 500:032X}",
                "item_location": "Warehouse A", **fields}
        response = client.post("/crm/inventory/", json=body, headers=admin_headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return factory
