def test_health(client):
    r = client.get("/crm/health")
    assert r.status_code == 200
    assert r.get_json()["database"] == "ok"
