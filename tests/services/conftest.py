"""Service tests run against the CGRateS simulator over real HTTP: every test gets a fresh simulator and the
app's `ocs.cgrates` pointed at it."""
import pytest

from tests.fixtures.cgrates import *  # noqa: F401,F403


@pytest.fixture(autouse=True)
def ocs(app, cgrates_sim, monkeypatch):
    cgrates_sim.reset()
    monkeypatch.setitem(app.config["CRM"]["ocs"], "cgrates", cgrates_sim.endpoint)
    monkeypatch.setitem(app.config["CRM"]["ocs"], "ocsTenant", "cgrates.org")
    return cgrates_sim
