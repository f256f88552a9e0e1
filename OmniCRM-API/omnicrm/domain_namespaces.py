"""The business domains' API namespaces: each domain's `api.py` lists its own in `namespaces`."""
import importlib

DOMAINS = ("customers", "activity", "products", "inventory", "services", "ocs", "provisioning", "billing", "payments",
           "communications", "utilities", "topup", "cbc", "portal", "dashboard")


def all_namespaces():
    namespaces = []
    for domain in DOMAINS:
        namespaces.extend(importlib.import_module(f"omnicrm.{domain}.api").namespaces)
    return namespaces
