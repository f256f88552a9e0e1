"""Request ids: returned on every response, taken from a sane X-Request-ID, kept on the provisioning job the
request created and on the log lines of its run; JSON log lines for log shippers."""
import json
import logging

from omnicrm.ops.request_log import JsonFormatter, RequestIdFilter, request_id_context
from tests.fixtures.live_server import live_server  # noqa: F401 - fixture
from tests.provisioning.conftest import catalogue, provisioning_config, wait_for_job  # noqa: F401 - fixtures


def test_every_response_has_a_request_id(client):
    generated = client.get("/crm/health").headers.get("X-Request-ID")
    assert generated and len(generated) == 32
    assert client.get("/crm/health", headers={"X-Request-ID": "lb-7f3a:01"}).headers["X-Request-ID"] == "lb-7f3a:01"
    for forged in ("<script>alert(1)</script>", "x" * 65, "two words"):
        replaced = client.get("/crm/health", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert replaced != forged and len(replaced) == 32


def test_job_keeps_the_request_id_and_its_run_logs_it(client, admin_headers, catalogue, provisioning_config,  # noqa: F811
                                                     caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="omnicrm.provisioning")
    response = client.put("/crm/provision/", json={"product_id": catalogue["failing"],
                                                   "customer_id": catalogue["home"]},
                          headers={**admin_headers, "X-Request-ID": "order-trace-42"})
    assert response.status_code == 200, response.get_json()
    job = wait_for_job(client, admin_headers, response.get_json()["provision_id"])
    assert job["request_id"] == "order-trace-42"
    finished = [r for r in caplog.records if r.getMessage().startswith(f"provisioning job {job['provision_id']} ")]
    assert finished and all(r.request_id == "order-trace-42" for r in finished)


def test_json_log_lines():
    record = logging.LogRecord("omnicrm.test", logging.WARNING, __file__, 1, "card %s declined", ("pm_1",), None)
    with request_id_context("req-9"):
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "card pm_1 declined" and line["request_id"] == "req-9"
    assert line["level"] == "WARNING" and line["time"].endswith("+00:00")
