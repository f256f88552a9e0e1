"""CSV import (dry run, all-or-nothing, line-numbered errors) and export of one inventory type, with the secret
columns (Ki, OPc) only for callers allowed to see them."""
import csv
import io

from sqlalchemy import func, select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.inventory.models import Inventory

HEADER = "ICCID,IMSI,Ki,OPc,item_location,item_state\n"


def _sims(count, start=0):
    return "".join(f"{8961000000000000000 + n},{1010000000000 + n},{n:032X},{n + 7:032X},Warehouse A,New\n"
                   for n in range(start, start + count))


def _import(client, headers, text, dry_run=False, item="SIM Card"):
    return client.post(f"/crm/inventory/import?item={item}&dry_run={'true' if dry_run else 'false'}",
                       data=text.encode(), headers={**headers, "Content-Type": "text/csv"})


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Inventory))


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(app, client, admin_headers, sim_template, add_sim):
    existing = add_sim(itemtext1="8961000000000000001")
    text = (HEADER + _sims(1, start=10)                                 # line 2: good
            + ",1010000000099,,,Warehouse A,New\n"                     # line 3: no ICCID
            + _sims(1, start=10)                                        # line 4: repeats line 2
            + "8961000000000000077,1,2,3,Warehouse A,Nuevo\n"          # line 5: not a state
            + "8961000000000000078,1,2\n"                              # line 6: too few values
            + f"{existing['itemtext1']},1,2,3,,New\n"                  # line 7: already in stock
            + "8961000000000000079,1,2,3,,Assigned\n"                  # line 8: needs a customer
            + "\n" + _sims(1, start=20))                                # line 9 empty, line 10 good
    response = _import(client, admin_headers, text, dry_run=True)
    assert response.status_code == 200
    report = response.get_json()
    assert report["dry_run"] is True and report["rows"] == 8 and report["valid_rows"] == 2
    assert {e["line"]: sorted(e["errors"]) for e in report["errors"]} == {
        3: ["ICCID"], 4: ["ICCID"], 5: ["item_state"], 6: ["row"], 7: ["ICCID"], 8: ["item_state"]}
    assert "line 2" in report["errors"][1]["errors"]["ICCID"]
    assert _count(app) == 1
    response = _import(client, admin_headers, text)
    assert response.status_code == 400
    assert "nothing was imported" in response.get_json()["message"]
    assert len(response.get_json()["report"]["errors"]) == 6
    assert _count(app) == 1


def test_header_must_match_the_template(client, admin_headers, sim_template):
    response = _import(client, admin_headers, "ICCID,Colour\n1,red\n")
    assert response.status_code == 400 and "Colour" in response.get_json()["errors"]
    response = _import(client, admin_headers, "IMSI\n1\n")
    assert response.status_code == 400 and "ICCID" in response.get_json()["errors"]
    response = _import(client, admin_headers, "ICCID,itemtext1\n1,1\n")
    assert response.status_code == 400
    assert _import(client, admin_headers, "ICCID\n1\n", item="Router").status_code == 404


def test_ten_thousand_sims_import_and_export(app, client, admin_headers, make_user, sim_template):
    response = _import(client, admin_headers, HEADER + _sims(10_000))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["imported"] == 10_000 and _count(app) == 10_000
    with app.app_context():
        row = db.session.scalars(select(Inventory).where(Inventory.itemtext1 == "8961000000000000005")).one()
        assert row.itemtext3.startswith("fernet:") and row.itemtext2 == "1010000000005"
        assert row.wholesale_cost == 2.5 and row.item_state == "New"
        log = [f"{e.description} {e.changes}" for e in db.session.scalars(select(ActivityLog)
                                                                          .where(ActivityLog.action == "import"))]
    assert log == ["Imported 10000 'SIM Card' inventory item(s) from CSV None"]

    listed = client.get("/crm/inventory/?search=8961000000000000005", headers=admin_headers).get_json()["data"]
    assert [i["ki"] for i in listed] == ["***"]

    trusted = make_user(permissions=["view_inventory", "view_inventory_secrets"])
    exported = client.get('/crm/inventory/export?item=SIM Card&filters={"item_state": ["New"]}', headers=trusted)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0] == ["ICCID", "IMSI", "Ki", "OPc", "SIM Type", "item_location", "item_state", "wholesale_cost",
                       "retail_cost", "inventory_notes"]
    assert len(rows) == 10_001
    assert rows[6][:4] == ["8961000000000000005", "1010000000005", f"{5:032X}", f"{12:032X}"]

    staff = make_user(permissions=["view_inventory"])
    plain = list(csv.reader(io.StringIO(client.get("/crm/inventory/export?item=SIM Card",
                                                   headers=staff).get_data(as_text=True))))
    assert "Ki" not in plain[0] and "OPc" not in plain[0]
    assert f"{5:032X}" not in "".join(",".join(r) for r in plain)


def test_exported_file_imports_into_another_system(app, client, admin_headers, sim_template):
    assert _import(client, admin_headers, HEADER + _sims(3)).status_code == 200
    text = client.get("/crm/inventory/export?item=SIM Card", headers=admin_headers).get_data(as_text=True)
    client.patch(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers,
                 json={"item": "Old SIM"})
    client.post("/crm/inventory/template/", headers=admin_headers, json={
        "item": "SIM Card", "wholesale_cost": 1, "retail_cost": 1, "itemtext1_label": "ICCID",
        "itemtext2_label": "IMSI", "itemtext3_label": "Ki", "itemtext4_label": "OPc", "itemtext5_label": "SIM Type",
        "secret_fields": ["itemtext3", "itemtext4"]})
    response = _import(client, admin_headers, text)
    assert response.status_code == 200 and response.get_json()["imported"] == 3
    assert _count(app) == 6


def test_import_needs_create_inventory(client, make_user, sim_template):
    viewer = make_user(permissions=["view_inventory"])
    assert _import(client, viewer, HEADER + _sims(1)).status_code == 403
