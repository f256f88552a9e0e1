"""Demo data of the inventory domain for `omnicrm seed-demo`."""


def seed_demo():
    """Create this domain's demo rows when missing; return {label: count}."""
    return {}
