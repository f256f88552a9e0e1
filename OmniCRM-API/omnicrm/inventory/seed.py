"""Demo inventory for `omnicrm seed-demo`: the templates the demo products need, with stock to sell at once."""
import secrets as random_source

from sqlalchemy import func, select

from omnicrm import db
from omnicrm.inventory import secrets
from omnicrm.inventory import service as inventory
from omnicrm.inventory.models import Inventory

TEMPLATES = [
    {"item": "SIM Card", "icon": "fa-solid fa-sim-card", "wholesale_cost": "2.50", "retail_cost": "10.00",
     "itemtext1_label": "ICCID", "itemtext2_label": "IMSI", "itemtext3_label": "Ki", "itemtext4_label": "OPc",
     "itemtext5_label": "SIM Type", "secret_fields": ["itemtext3", "itemtext4"], "allow_customer_dropdown": False},
    {"item": "Mobile Number", "icon": "fa-solid fa-phone", "wholesale_cost": "1.00", "retail_cost": "0.00",
     "itemtext1_label": "MSISDN", "itemtext2_label": "Geographic Region", "itemtext3_label": "Number Type",
     "allow_customer_dropdown": True},
    {"item": "Modem Router", "icon": "fa-solid fa-wifi", "wholesale_cost": "45.00", "retail_cost": "0.00",
     "itemtext1_label": "MAC Address", "itemtext2_label": "Serial Number", "itemtext3_label": "Model"},
    {"item": "WiFi Router CPE", "icon": "fa-solid fa-tower-broadcast", "wholesale_cost": "250.00",
     "retail_cost": "450.00", "itemtext1_label": "MAC Address", "itemtext2_label": "Serial Number",
     "itemtext3_label": "WiFi SSID", "itemtext4_label": "WiFi PSK", "itemtext5_label": "Manufacturer",
     "itemtext6_label": "Model", "secret_fields": ["itemtext4"]},
    {"item": "IPv4 Address", "icon": "fa-solid fa-network-wired", "wholesale_cost": "0.00", "retail_cost": "0.00",
     "itemtext1_label": "IP Address", "itemtext2_label": "Prefix Length", "itemtext3_label": "Gateway"},
    {"item": "Rental Modem", "icon": "fa-solid fa-router", "wholesale_cost": "45.00", "retail_cost": "150.00",
     "itemtext1_label": "MAC Address", "itemtext2_label": "Serial Number", "itemtext3_label": "Model"},
]


def _stock(n):
    """Item texts per template for the n-th demo item (documentation ranges: 192.0.2.0/24, 0491 570 xxx)."""
    return {
        "SIM Card": {"itemtext1": f"89610000000000{n:05d}", "itemtext2": f"00101{n:010d}",
                     "itemtext3": random_source.token_hex(16).upper(), "itemtext4": random_source.token_hex(16).upper(),
                     "itemtext5": "Physical", "item_location": "Warehouse A"},
        "Mobile Number": {"itemtext1": f"+61491570{n:03d}", "itemtext2": "Sydney", "itemtext3": "Mobile",
                          "item_location": "Australia - NSW"},
        "Modem Router": {"itemtext1": f"02:00:00:00:01:{n:02X}", "itemtext2": f"MR-2025-{n:05d}",
                         "itemtext3": "TP-Link AX1800", "item_location": "Warehouse A"},
        "WiFi Router CPE": {"itemtext1": f"02:00:00:00:02:{n:02X}", "itemtext2": f"FW2025-{n:05d}",
                            "itemtext5": "MikroTik", "itemtext6": "hAP ax2", "item_location": "Warehouse A"},
        "IPv4 Address": {"itemtext1": f"192.0.2.{n}", "itemtext2": "32", "itemtext3": "192.0.2.254",
                         "item_location": "Pool SYD-1"},
        "Rental Modem": {"itemtext1": f"02:00:00:00:03:{n:02X}", "itemtext2": f"RM-2025-{n:05d}",
                         "itemtext3": "WiFi 6 AX3000", "item_location": "Warehouse B"},
    }
STOCK_COUNT = {"SIM Card": 20, "Mobile Number": 20, "Modem Router": 5, "WiFi Router CPE": 5, "IPv4 Address": 10,
               "Rental Modem": 3}


def seed_demo():
    """Create the demo templates and their stock when missing; return {label: count}."""
    templates = items = 0
    for spec in TEMPLATES:
        template = inventory.template_by_name(spec["item"])
        if template is None:
            template = inventory.create_template(spec)
            templates += 1
        have = db.session.scalar(select(func.count()).select_from(Inventory)
                                 .where(Inventory.inventory_template_id == template.inventory_template_id))
        if have:
            continue
        for n in range(1, STOCK_COUNT[template.item] + 1):
            values = _stock(n)[template.item]
            item = Inventory(inventory_template_id=template.inventory_template_id, item=template.item,
                             item_state="New" if n % 2 else "In Stock", wholesale_cost=template.wholesale_cost,
                             retail_cost=template.retail_cost)
            for name, value in values.items():
                setattr(item, name, secrets.encrypt(value) if name in template.secret_fields else value)
            db.session.add(item)
            items += 1
    db.session.flush()
    return {"inventory templates": templates, "inventory items": items}
