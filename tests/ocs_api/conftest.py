"""Every test here talks to the CGRateS simulator over real HTTP (fixture `ocs` in tests/fixtures/cgrates.py)."""
import pytest


@pytest.fixture(autouse=True)
def _ocs_for_every_test(ocs):
    return ocs
