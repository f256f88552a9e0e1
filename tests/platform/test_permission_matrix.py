"""Walks every registered /crm endpoint: each one declares its access, refuses anonymous callers and callers
without its permission. An endpoint added later without a permission makes this test fail."""
import re

import pytest

IGNORED = {"crm.specs", "crm.doc", "crm.root", "restx_doc.static"}


def _endpoints(app):
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/crm") or rule.endpoint in IGNORED:
            continue
        view = app.view_functions[rule.endpoint]
        resource = getattr(view, "view_class", None)
        assert resource is not None, f"{rule.rule} is not a flask-restx Resource"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method, getattr(resource, method.lower())))
    return found


def _url(rule):
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) in ("int", "float") else "x", rule.rule)


def test_every_endpoint_declares_its_access(app):
    undeclared = [f"{method} {rule.rule}" for rule, method, fn in _endpoints(app)
                  if not getattr(fn, "is_public", False) and not hasattr(fn, "required_permissions")]
    assert undeclared == [], "endpoints without @requires/@authenticated/@public"
    assert len(_endpoints(app)) > 20


def test_anonymous_callers_are_refused_everywhere(app, client):
    for rule, method, fn in _endpoints(app):
        if getattr(fn, "is_public", False):
            continue
        response = client.open(_url(rule), method=method, json={})
        assert response.status_code == 401, f"{method} {rule.rule} answered {response.status_code} to anonymous"
        assert response.get_json()["message"]


def test_callers_without_the_permission_are_refused(app, client, make_user):
    nobody = make_user(permissions=())
    checked = 0
    for rule, method, fn in _endpoints(app):
        if getattr(fn, "is_public", False) or not getattr(fn, "required_permissions", ()):
            continue
        response = client.open(_url(rule), method=method, json={}, headers=nobody)
        assert response.status_code == 403, f"{method} {rule.rule} answered {response.status_code} without " \
                                             f"{fn.required_permissions}"
        checked += 1
    assert checked > 15


@pytest.mark.parametrize("path", ["/crm/health", "/crm/swagger.json"])
def test_public_documents(client, path):
    assert client.get(path).status_code == 200


def test_swagger_documents_every_endpoint(app, client):
    spec = client.get("/crm/swagger.json").get_json()
    documented = {(p, m.upper()) for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
    for rule, method, _fn in _endpoints(app):
        swagger_path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)[len("/crm"):]
        assert (swagger_path, method) in documented, f"{method} {rule.rule} missing from Swagger"
    assert client.get("/crm/docs").status_code == 200


def test_unknown_api_path_is_json_404(client):
    response = client.get("/crm/no/such/thing")
    assert response.status_code == 404
    assert response.get_json()["message"]
