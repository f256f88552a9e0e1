"""Charging tests reuse the provisioning fixtures: the live API server playbooks call back, and the guard that no
job is left running into the next test."""
from tests.fixtures.live_server import live_server  # noqa: F401 - fixture
from tests.provisioning.conftest import no_job_left_running  # noqa: F401 - fixture
from tests.fixtures.mailjet import mailjet, mailjet_server  # noqa: F401,E402 - fixtures
from tests.fixtures.hss import hss, hss_server  # noqa: F401,E402 - fixtures
