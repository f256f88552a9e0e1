"""Issue 12 finding 5: the playbook guide's missing pieces (spec 03 §12.8-12.11, spec 04 §4.9): play_topup_no_charge,
the HSS request with Ki/OPc (masked in events), the CPE configuration e-mailed to support, POST /crm/transaction/,
the Pattern A service payload with service_type "generic", the auto-renew callback path as the guide writes it."""
import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.communications.models import Communication
from omnicrm.db import utcnow
from omnicrm.inventory import secrets
from omnicrm.inventory.models import Inventory
from omnicrm.products.models import Product
from omnicrm.services.models import Service
from tests.provisioning.reference_helpers import failed_events, failure_details, reference  # noqa: F401 - fixture

GB = 1073741824


class _Hss(BaseHTTPRequestHandler):
    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.requests.append((self.command, self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_PUT = do_PATCH = do_DELETE = do_POST = do_GET = _record

    def log_message(self, *args):
        pass


def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hss)
    server.requests = []
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def olt(app):
    server = recorder()
    app.config["CRM"]["olt"] = {"api_url": f"http://127.0.0.1:{server.server_port}"}
    yield server
    app.config["CRM"].pop("olt")
    server.shutdown()
    server.server_close()


@pytest.fixture
def hss(app):
    server = recorder()
    section = app.config["CRM"].setdefault("hss", {})
    saved = section.get("hss_peers")
    section["hss_peers"] = [f"http://127.0.0.1:{server.server_port}"]
    yield server
    section["hss_peers"] = saved
    server.shutdown()
    server.server_close()


def mobile_service(ref):
    items = {"SIM Card": ref.free_items("SIM Card")[0], "Mobile Number": ref.free_items("Mobile Number")[0]}
    job = ref.order("prepaid-mobile-20gb", **items)
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    return service, items


def test_hss_gets_ki_and_opc_and_free_topup_extends_the_service(reference, hss):
    ref = reference
    service, items = mobile_service(ref)
    with ref.app.app_context():
        sim = db.session.get(Inventory, items["SIM Card"])
        ki, opc = secrets.decrypt(sim.itemtext3), secrets.decrypt(sim.itemtext4)
    [(method, path, body)] = hss.requests
    assert method == "PUT" and body["ki"] == ki and body["opc"] == opc and body["enabled"] is True
    assert path == f"/subscriber/{body['imsi']}"
    # the reference fixture's teardown scans every stored event, mail and log line for ki and opc

    with ref.app.app_context():
        free = Product(product_name="Free 2GB", product_slug="free-2gb", category="addon", service_type="mobile",
                       provisioning_play="play_topup_no_charge", enabled=True, retail_cost=0,
                       provisioning_json_vars=json.dumps({"data_gb": 2}))
        db.session.add(free)
        db.session.commit()
    charges = ref.charges()
    job = ref.order("free-2gb", service_id=service["service_id"])
    assert job["provisioning_status"] == 0, failure_details(job)
    data = ref.balances(service["service_uuid"])["*data"]
    assert sorted(data.values()) == [2 * GB, 20 * GB]
    assert ref.charges() == charges  # no charge
    with ref.app.app_context():
        end = db.session.get(Service, service["service_id"]).service_deactivate_date
    assert abs(end - (utcnow() + timedelta(days=30))) < timedelta(minutes=5)

    failed = ref.order("free-2gb", service_id=service["service_id"], fail_at_task="Extend the expiry date")
    assert failed["provisioning_status"] == 2 and "Extend the expiry date" in failed_events(failed)
    assert ref.balances(service["service_uuid"])["*data"] == data  # the top-up was taken back


def test_cpe_configuration_is_mailed_to_support_without_secrets(reference):
    ref = reference
    cpe, ip = ref.free_items("WiFi Router CPE")[0], ref.free_items("IPv4 Address")[0]
    job = ref.order("fixed-wireless-50", **{"WiFi Router CPE": cpe, "IPv4 Address": ip})
    assert job["provisioning_status"] == 0, failure_details(job)
    with ref.app.app_context():
        item = db.session.get(Inventory, cpe)
        psk, password = secrets.decrypt(item.itemtext4), secrets.decrypt(item.management_password)
        [mail] = db.session.scalars(select(Communication).where(Communication.subject.like("CPE configuration%")))
        assert mail.to_email == "support@example.com" and mail.subject == f"CPE configuration - CPE_{cpe}"
        assert f"/system identity set name=CPE_{cpe}" in mail.text_part
        assert psk not in mail.text_part and password not in mail.text_part and "***" in mail.text_part


def test_post_transaction_and_generic_service_type(app, client, admin_headers):
    from omnicrm.customers.models import Customer
    with app.app_context():
        customer = Customer(customer_name="Pattern A", customer_account_type="Individual")
        product = Product(product_name="Plain", product_slug="plain", category="standalone", service_type="internet",
                          enabled=True)
        db.session.add_all([customer, product])
        db.session.commit()
        customer_id, product_id = customer.customer_id, product.product_id
    created = client.put("/crm/service/", headers=admin_headers, json={
        "customer_id": str(customer_id), "product_id": str(product_id), "service_name": "Plain - Service_1a2b3c4d",
        "service_type": "generic", "service_uuid": "Service_1a2b3c4d", "service_billed": True,
        "service_taxable": True, "service_provisioned_date": "2025-01-10T14:30:00+0000", "service_status": "Active",
        "wholesale_cost": "0.0", "retail_cost": "30.0"})
    assert created.status_code == 200, created.get_json()
    assert created.get_json()["service_type"] == "internet"  # the product's type, so its add-ons still match
    charge = client.post("/crm/transaction/", headers=admin_headers, json={
        "customer_id": customer_id, "service_id": created.get_json()["service_id"], "title": "Plain - Setup",
        "invoice_id": None, "retail_cost": "12.5"})
    assert charge.status_code == 200, charge.get_json()
    assert Decimal(charge.get_json()["retail_cost"]) == Decimal("12.50")


def test_auto_renew_callback_path_as_the_guide_writes_it(app, client, catalogue, provisioning_config):
    with app.app_context():
        service = Service(customer_id=catalogue["home"], service_name="Mobile", service_type="mobile",
                          service_uuid="Renew_1", service_status="Active")
        addon = Product(product_name="Renewing", product_slug="renewing", category="addon", service_type="mobile",
                        provisioning_play="test_quick", enabled=True)
        db.session.add_all([service, addon])
        db.session.commit()
        sid, pid = service.service_id, addon.product_id
    key = "c" * 40
    app.config["CRM"]["api_keys"][key] = {"roles": ["admin"], "ips": None, "description": "cgrates"}
    try:
        guide = client.post(f"/crm/provision/simple_provision_addon/service_id/{sid}/{pid}/{pid}",
                            headers={"X-API-KEY": key})
        assert guide.status_code == 200, guide.get_json()
        mismatch = client.post(f"/crm/provision/simple_provision_addon/service_id/{sid}/{pid}/{pid + 1}",
                               headers={"X-API-KEY": key})
        assert mismatch.status_code == 400
        current = client.post(f"/crm/provision/simple_provision_addon/service_id/{sid}/product_id/{pid}",
                              headers={"X-API-KEY": key})
        assert current.status_code == 200
    finally:
        del app.config["CRM"]["api_keys"][key]


def test_home_internet_activates_the_ont_on_the_olt(reference, olt):
    ref = reference
    modem = ref.free_items("Modem Router")[0]
    root = ref.order("home-internet-tv-voice", **{"Modem Router": modem})
    assert root["provisioning_status"] == 0, [e["provisioning_result_json"] for e in root["provisioning_result_json"]
                                              if e["provisioning_status"] == 2]
    [(method, path, body)] = olt.requests
    with ref.app.app_context():
        item = db.session.get(Inventory, modem)
        assert method == "POST" and path == f"/ont/{item.itemtext2}/activate"
        assert body["service_id"] == root["service_id"] and body["customer_id"] == ref.customer_id
        assert item.inventory_notes.startswith("OLT activated ")
