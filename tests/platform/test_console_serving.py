"""The built console at /: client routes answered by index.html, hashed assets cached for good, stale ones 404."""
import omnicrm


def test_console_routes_assets_and_cache_headers(client, tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<div id=root></div>")
    (tmp_path / "assets" / "CustomersPage-a1b2c3.js").write_text("export const x = 1;")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    monkeypatch.setattr(omnicrm, "UI_DIST", tmp_path)

    page = client.get("/customers/42")
    assert page.status_code == 200 and b"id=root" in page.data
    assert "immutable" not in page.headers.get("Cache-Control", "")  # a new release must be picked up at once

    chunk = client.get("/assets/CustomersPage-a1b2c3.js")
    assert chunk.status_code == 200 and chunk.data == b"export const x = 1;"
    assert "max-age=31536000" in chunk.headers["Cache-Control"] and "immutable" in chunk.headers["Cache-Control"]

    stale = client.get("/assets/CustomersPage-000000.js")
    assert stale.status_code == 404 and stale.get_json() == {"message": "Not found"}

    assert client.get("/favicon.svg").data == b"<svg/>"
    assert client.get("/crm/nothing-here").status_code == 404
