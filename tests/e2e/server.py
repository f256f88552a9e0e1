"""The real OmniCRM server for the browser tests: a fresh SQLite database with the admin and the demo data, the
CGRateS simulator, and the built console from OmniCRM-UI/dist, on a free port of 127.0.0.1.

Prints `READY <base url>` once it answers; stops on SIGTERM/SIGINT. Run from the repository root:
    .venv/bin/python tests/e2e/server.py [--port 0] [--no-demo]
"""
import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "OmniCRM-API")]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Admin123!"


def build_app(db_path, cgrates_endpoint, demo=True, cbc_url="", extra_environ=None):
    from omnicrm import create_app, db
    from omnicrm.config import load_config
    from omnicrm.db import Base
    from omnicrm.seed import ensure_admin, seed_demo

    environ = {"JWT_SECRET": "e2e-" + "s" * 60, "OMNICRM_ENCRYPTION_KEY": "e2e-" + "k" * 44,
               "OMNICRM__SECURITY__BCRYPT_ROUNDS": "4",
               "CGRATES_ENDPOINT": cgrates_endpoint, "CBC_URL": cbc_url, **(extra_environ or {})}
    app = create_app(load_config(environ=environ), database_url=f"sqlite:///{db_path}")
    Base.metadata.create_all(db.get_engine())
    with app.app_context():
        ensure_admin(ADMIN_EMAIL, ADMIN_PASSWORD, username="admin")
        if demo:
            seed_demo()
            seed_provisioned_service()
        db.session.remove()
    return app


E2E_SERVICE_UUID = "Mobile_e2e00001"
E2E_LPA = "LPA:1$smdp.example.com$ACTIVATION-CODE-ABC123XYZ"


def seed_provisioned_service():
    """A mobile service for John Smith as a finished mobile playbook leaves it: the service row, its CGRateS account
    with data/voice/SMS/credit buckets and a monthly auto-renewal ActionPlan, and an eSIM whose management_url is
    an LPA string. The browser tests read its balances, top it up and cancel its renewal on a known service,
    independent of the ordering tests."""
    from sqlalchemy import select

    from omnicrm import db
    from omnicrm.customers.models import Customer
    from omnicrm.integrations.cgrates import make_action, make_timing
    from omnicrm.inventory.models import Inventory
    from omnicrm.ocs.service import ocs_client
    from omnicrm.products.models import Product
    from omnicrm.services import service as services

    customer = db.session.scalars(select(Customer).where(Customer.customer_name == "John Smith")).first()
    product = db.session.scalars(select(Product).where(Product.product_slug == "prepaid-mobile-20gb")).first()
    if customer is None or product is None:
        return None
    service = services.create_service({
        "customer_id": customer.customer_id, "product_id": product.product_id, "service_uuid": E2E_SERVICE_UUID,
        "service_name": "Mobile - +44 7700 900999", "service_type": "mobile", "service_status": "Active",
        "retail_cost": "15.00"})
    # Its eSIM: the LPA activation string is the item's management_url, shown as a QR code (spec 02 §4.6).
    esim = db.session.scalars(select(Inventory).where(Inventory.item == "SIM Card", Inventory.customer_id.is_(None))
                              .order_by(Inventory.inventory_id.desc())).first()
    if esim is not None:
        esim.customer_id, esim.service_id, esim.item_state = customer.customer_id, service.service_id, "Assigned"
        esim.management_url = E2E_LPA
    db.session.commit()
    client = ocs_client()
    client.set_account(E2E_SERVICE_UUID)
    client.add_balance(E2E_SERVICE_UUID, "*data", 15 * 1024 ** 3, balance_id="DATA_20GB", expiry="+720h")
    client.add_balance(E2E_SERVICE_UUID, "*voice", 50 * 60 * 10 ** 9, balance_id="VOICE_500MINS", expiry="+720h")
    client.add_balance(E2E_SERVICE_UUID, "*sms", 10, balance_id="SMS_100", expiry="+720h")
    client.add_balance(E2E_SERVICE_UUID, "*monetary", 3, balance_id="CREDIT", expiry="+720h")
    # Usage records of the last days for the portal's usage-over-time chart (*none: rated elsewhere, no debit).
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    for n, (tor, usage) in enumerate([("*data", 1024 ** 3), ("*data", 512 * 1024 ** 2), ("*voice", "300s")]):
        when = (now - timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        client.process_external_cdr({"Account": E2E_SERVICE_UUID, "ToR": tor, "OriginID": f"e2e-cdr-{n}",
                                     "Usage": str(usage), "RequestType": "*none", "AnswerTime": when})
    actions_id = f"ACT_RENEW_{E2E_SERVICE_UUID}"
    client.set_actions(actions_id, [make_action("*topup_reset", balance_type="*data", units=20 * 1024 ** 3,
                                                balance_id="DATA_20GB", expiry="+720h")], overwrite=True)
    plan_id = (f"ServiceID_{E2E_SERVICE_UUID}__ProductID_{product.product_id}__CustomerID_{customer.customer_id}"
               "__Monthly_Renewal")
    client.set_action_plan(plan_id, [make_timing(actions_id)], overwrite=True)
    client.attach_action_plan(E2E_SERVICE_UUID, plan_id)
    return service.service_id


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-demo", action="store_true", help="only the admin user")
    parser.add_argument("--localstripe", action="store_true",
                        help="card payments against a localstripe process (its fake Stripe.js in the console)")
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server
    from tools.dev.cgrates_sim.server import start_in_thread

    workdir = tempfile.TemporaryDirectory(prefix="omnicrm-e2e-")
    cgrates, endpoint = start_in_thread("127.0.0.1", 0)
    from tools.dev.cbc_sim import CbcSimulator
    cbc = CbcSimulator().start()  # the Cell Broadcast Centre double; tests read what it received at its URL
    stripe_process, stripe_environ = start_localstripe() if args.localstripe else (None, {})
    app = build_app(Path(workdir.name) / "e2e.db", endpoint, demo=not args.no_demo, cbc_url=cbc.url,
                    extra_environ=stripe_environ)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    # The playbooks call the CRM back at crm.base_url: the port is only known once the server is bound.
    app.config["CRM"]["crm"]["base_url"] = f"http://127.0.0.1:{server.server_port}"

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"CBC_SIM {cbc.url}", flush=True)
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    stop.wait()
    server.shutdown()
    cgrates.stop()
    cbc.stop()
    if stripe_process is not None:
        stripe_process.terminate()
        stripe_process.wait(10)
    workdir.cleanup()


def start_localstripe():
    """localstripe (in memory) on a free port and the settings that point the API and the console at it."""
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "tools.dev.localstripe_private", "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return process, {"STRIPE_SECRET_KEY": "sk_test_e2e", "STRIPE_PUBLISHABLE_KEY": "pk_test_e2e",
                     "STRIPE_API_BASE": url, "STRIPE_JS_URL": f"{url}/js.stripe.com/v3/"}


if __name__ == "__main__":
    main()
