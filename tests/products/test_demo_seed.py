"""The demo catalogue: the specification's example products with inventory templates and stock, sellable at once."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.inventory import seed as inventory_seed
from omnicrm.inventory.models import Inventory
from omnicrm.products import seed as products_seed
from tests.products.helpers import make_customer, make_service


def test_demo_catalogue_can_be_sold_at_once_and_seeding_twice_adds_nothing(app, client, admin_headers):
    with app.app_context():
        assert inventory_seed.seed_demo() == {"inventory templates": 6, "inventory items": 63}
        assert products_seed.seed_demo() == {"products": 10}
        db.session.commit()
        assert inventory_seed.seed_demo() == {"inventory templates": 0, "inventory items": 0}
        assert products_seed.seed_demo() == {"products": 0}
        db.session.commit()
        ki = db.session.scalars(select(Inventory.itemtext3).where(Inventory.item == "SIM Card")).first()
        assert ki.startswith("fernet:")
    customer = make_customer(app, "New Customer", "Individual")
    offered = client.get(f"/crm/product/?customer_id={customer}&category=standalone,bundle",
                         headers=admin_headers).get_json()["data"]
    by_slug = {p["product_slug"]: p for p in offered}
    assert {"Mobile-SIM", "prepaid-mobile-20gb", "Bundle-Seniors", "fixed-wireless-50",
            "home-internet-tv-voice"} <= set(by_slug)
    sim = by_slug["Mobile-SIM"]
    assert sim["inventory_items_list"] == ["SIM Card", "Mobile Number"]
    assert sim["features_list"][0] == "Australian Phone Number (04xxx)"
    assert by_slug["Bundle-Seniors"]["inventory_items_list"] == ["Modem Router"]
    for item in sim["inventory_items_list"] + by_slug["fixed-wireless-50"]["inventory_items_list"]:
        selector = client.get(f"/crm/inventory/available?item={item}", headers=admin_headers).get_json()
        assert selector["pagination"]["total_items"] >= 5, item
    mobile = make_service(app, customer, service_type="mobile")
    addons = client.get(f"/crm/product/?service_id={mobile}", headers=admin_headers).get_json()["data"]
    assert {p["product_slug"] for p in addons} == {"norfone-mobile-prepaid-mini", "5gb-data-boost",
                                                   "extra-10gb-data", "Mobile-Topup-5"}
    topup = next(p for p in addons if p["product_slug"] == "Mobile-Topup-5")
    assert topup["features_list"] == ["£5 credit", "Valid for 180 days"]
    assert products_seed.DEMO_PLAYS == sorted([
        "play_addon_assign_modem", "play_bundle_internet_tv_voice", "play_local_data_addon",
        "play_local_mobile_sim", "play_prov_cpe_mikrotik", "play_psim_only", "play_seniors_package",
        "play_topup_charge_then_action", "play_topup_monetary"])
