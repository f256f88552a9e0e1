"""/metrics: what an operator's Prometheus scrapes (request latency by endpoint, jobs, queue, OCS calls, e-mails),
and who may scrape it."""
import re
from datetime import timedelta

import pytest

from omnicrm import db
from omnicrm.communications.models import Communication
from omnicrm.db import utcnow
from omnicrm.provisioning.models import STATUS_FAILED, STATUS_RUNNING, STATUS_SUCCESS, Provision


def scrape(client, **kwargs):
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def value(text, name, **labels):
    """The sample `name{labels}` of a Prometheus text page (0 when absent)."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return 0.0


def test_request_latency_and_status_by_endpoint_template(client, admin_headers):
    before = scrape(client)
    route = "/crm/customer/customer_id/<int:customer_id>"
    start = value(before, "omnicrm_http_requests_total", method="GET", endpoint=route, status="404")
    for customer_id in (901, 902, 903):
        assert client.get(f"/crm/customer/customer_id/{customer_id}", headers=admin_headers).status_code == 404
    after = scrape(client)
    # Three ids, one series: the URL rule, not the path, names the endpoint.
    assert value(after, "omnicrm_http_requests_total", method="GET", endpoint=route, status="404") == start + 3
    assert value(after, "omnicrm_http_request_duration_seconds_count", method="GET", endpoint=route) >= 3
    assert "customer_id/901" not in after
    assert client.get("/crm/no-such-thing", headers=admin_headers).status_code == 404
    assert value(scrape(client), "omnicrm_http_requests_total", method="GET", endpoint="unmatched", status="404") >= 1


def test_jobs_queue_and_mail_figures_come_from_the_database(app, client):
    with app.app_context():
        now = utcnow()
        for status, finished in ((STATUS_SUCCESS, now), (STATUS_SUCCESS, now), (STATUS_FAILED, now),
                                 (STATUS_RUNNING, None)):
            db.session.add(Provision(provisioning_play="play_simple_service.yaml", provisioning_status=status,
                                     created=now - timedelta(seconds=30), finished=finished))
        db.session.add_all([Communication(from_email="a@example.com", to_email="b@example.com", status=s)
                            for s in ("sent", "sent", "failed")])
        db.session.commit()
    text = scrape(client)
    assert value(text, "omnicrm_provisioning_jobs_total", status="success") == 2
    assert value(text, "omnicrm_provisioning_jobs_total", status="failed") == 1
    assert value(text, "omnicrm_provisioning_jobs_total", status="running") == 1
    assert value(text, "omnicrm_provisioning_job_duration_seconds_count") == 3
    assert value(text, "omnicrm_provisioning_job_duration_seconds_sum") == pytest.approx(90, abs=3)
    assert "omnicrm_provisioning_queue_depth 0.0" in text
    assert value(text, "omnicrm_emails_total", status="sent") == 2
    assert value(text, "omnicrm_emails_total", status="failed") == 1


def test_ocs_call_latency_and_errors(client, cgrates_client, ocs_down_endpoint):
    from omnicrm.errors import DependencyUnavailable
    from omnicrm.integrations.cgrates import CGRateSClient

    before = scrape(client)
    cgrates_client.ping()
    with pytest.raises(DependencyUnavailable):
        CGRateSClient(ocs_down_endpoint, timeout=0.5, retries=0).call("ApierV2.SetAccount", {"Account": "x"})
    after = scrape(client)
    assert value(after, "omnicrm_ocs_call_duration_seconds_count", method="APIerSv1.Ping") == \
        value(before, "omnicrm_ocs_call_duration_seconds_count", method="APIerSv1.Ping") + 1
    assert value(after, "omnicrm_ocs_call_errors_total", method="ApierV2.SetAccount", kind="unreachable") == \
        value(before, "omnicrm_ocs_call_errors_total", method="ApierV2.SetAccount", kind="unreachable") + 1


def test_only_allowed_addresses_or_the_token_may_scrape(app, client, monkeypatch):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", environ_base=outside)
    assert refused.status_code == 403
    assert "omnicrm_" not in refused.get_data(as_text=True)
    monkeypatch.setitem(app.config["CRM"]["monitoring"], "metrics_token", "scrape-secret-0123456789")
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert "omnicrm_provisioning_jobs_total" in scrape(
        client, environ_base=outside, headers={"Authorization": "Bearer scrape-secret-0123456789"})
    monkeypatch.setitem(app.config["CRM"]["monitoring"], "metrics_allowed_ips", ["203.0.113.0/24"])
    assert "omnicrm_emails" in scrape(client, environ_base=outside)


def test_the_grafana_dashboard_uses_only_metrics_we_export(client, cgrates_client):
    """docs/monitoring/grafana-omnicrm.json must not chart a series /metrics does not have (a renamed metric)."""
    import json

    from omnicrm.config import REPO_ROOT

    cgrates_client.ping()  # an OCS call, so the OCS series exist
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count"),
                "gauge": ("",)}
    types = [line.split()[2:] for line in scrape(client).splitlines() if line.startswith("# TYPE")]
    exported = {name.removesuffix("_total") + suffix for name, kind in types for suffix in suffixes[kind]}
    dashboard = json.loads((REPO_ROOT / "docs" / "monitoring" / "grafana-omnicrm.json").read_text())
    used = {name for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"\bomnicrm_[a-z_]+", target["expr"])}
    assert used and used <= exported, used - exported
