import pytest


@pytest.fixture
def plays(app, tmp_path, monkeypatch):
    """A playbook folder holding a few plays; the app's provisioning.playbook_dir points at it."""
    for name in ("play_local_mobile_sim", "play_topup_monetary", "play_data_addon"):
        (tmp_path / f"{name}.yaml").write_text("- hosts: localhost\n  tasks: []\n")
    monkeypatch.setitem(app.config["CRM"]["provisioning"], "playbook_dir", str(tmp_path))
    return tmp_path


@pytest.fixture
def templates(client, admin_headers):
    """The inventory types the mobile products require."""
    ids = {}
    for item, labels in (("SIM Card", ("ICCID", "IMSI")), ("Mobile Number", ("MSISDN", "Region"))):
        response = client.post("/crm/inventory/template/", headers=admin_headers, json={
            "item": item, "wholesale_cost": "1.00", "retail_cost": "0.00",
            "itemtext1_label": labels[0], "itemtext2_label": labels[1]})
        assert response.status_code == 201, response.get_json()
        ids[item] = response.get_json()["inventory_template_id"]
    return ids
