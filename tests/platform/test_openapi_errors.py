"""The OpenAPI document describes every operation's failures: the one error body as the `default` response."""


def test_every_operation_documents_the_error_body(client):
    spec = client.get("/crm/swagger.json").get_json()
    assert spec["definitions"]["Error"]["required"] == ["message"]
    missing = [f"{method.upper()} {path}" for path, operations in spec["paths"].items()
               for method, operation in operations.items()
               if method in ("get", "put", "post", "patch", "delete")
               and operation["responses"].get("default", {}).get("schema") != {"$ref": "#/definitions/Error"}]
    assert missing == []


def test_an_error_matches_the_documented_body(client, admin_headers):
    body = client.put("/crm/transaction/", json={"retail_cost": "abc"}, headers=admin_headers).get_json()
    assert set(body) <= {"message", "errors"} and isinstance(body["message"], str)
    assert all(isinstance(v, str) for v in body["errors"].values())
