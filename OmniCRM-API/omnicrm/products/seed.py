"""Demo data of the products domain for `omnicrm seed-demo`."""


def seed_demo():
    """Create this domain's demo rows when missing; return {label: count}."""
    return {}
