"""Domains' demo-data seeders, in dependency order: catalogue and stock first, then customers and services."""
import importlib

from omnicrm.seed import DEMO_SEEDERS

SEEDERS = ("inventory", "products", "customers", "services")

for _domain in SEEDERS:
    _module = importlib.import_module(f"omnicrm.{_domain}.seed")
    DEMO_SEEDERS.append(_module.seed_demo)
