"""Invoice PDFs (spec 07 §2.3-2.4, spec 02 §2): real WeasyPrint output read back with pypdf, the PDF cache, its
invalidation and purge, voided invoices, customer scope and template errors."""
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from omnicrm import db
from omnicrm.billing import invoice_pdf
from omnicrm.billing.models import InvoicePdfCache, Transaction
from omnicrm.cli import purge_invoice_pdf_cache_command
from omnicrm.customers.models import Site
from omnicrm.db import utcnow
from tests.billing.test_invoices import generate, ok, world  # noqa: F401 - `world` is a fixture


def pdf_text(response):
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def cache_row(app, invoice_id):
    with app.app_context():
        row = db.session.scalar(select(InvoicePdfCache).where(InvoicePdfCache.invoice_id == invoice_id))
        if row is not None:
            db.session.expunge(row)
        return row


@pytest.fixture
def invoice(app, client, admin_headers, world):  # noqa: F811
    """Jane's January invoice (3 lines: 10 % tax, 5 % tax rounding half-up, a credit), with a billing site."""
    with app.app_context():
        db.session.add(Site(customer_id=world["jane"], site_name="Head Office", address_line_1="12 Harbour Rd",
                            city="Sydney", state="NSW", zip_code="2000", country="Australia"))
        db.session.commit()
    return ok(generate(client, admin_headers, world["jane"]))


def test_pdf_shows_number_lines_tax_and_totals_equal_to_the_api(client, admin_headers, invoice):
    response = client.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=admin_headers)
    text = pdf_text(response)
    detail = ok(client.get(f"/crm/invoice/{invoice['invoice_id']}", headers=admin_headers))
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="Invoice_{invoice["invoice_id"]:05d}.pdf"'
    assert re.search(rf"Invoice Number:\s*{invoice['invoice_id']}\b", text)
    assert "Jane Home" in text and "12 Harbour Rd" in text and "Your Company Pty Ltd" in text
    for line in detail["transactions"]:
        assert line["title"] in text
        assert f"${line['retail_cost']}" in text
    assert "$5.00 (10%)" in text and "$0.01 (5%)" in text  # per-line tax as the API stored it
    assert (detail["subtotal"], detail["tax"], detail["total"]) == ("40.10", "5.01", "45.11")
    assert re.search(r"Subtotal\s*\$40\.10", text) and re.search(r"Tax\s*\$5\.01", text)
    assert re.search(r"Total\s*\$45\.11", text)
    assert "VOID" not in text


def test_alternative_template_renders_the_same_totals(app, client, admin_headers, invoice, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["invoice"], "template_filename", "cifi_invoice_template.html")
    text = pdf_text(client.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=admin_headers))
    assert "Mobile Plan" in text and "Outage credit" in text and "$-10.00" in text
    assert re.search(r"Total Due:\s*\$45\.11", text) and re.search(r"Tax:\s*\$5\.01", text)


def test_cache_hit_returns_identical_bytes_without_rendering(app, client, admin_headers, invoice):
    path = f"/crm/invoice/{invoice['invoice_id']}/pdf"
    renders = invoice_pdf.render_count
    first = client.get(path, headers=admin_headers)
    stored = cache_row(app, invoice["invoice_id"])
    assert invoice_pdf.render_count == renders + 1
    assert stored.file_size == len(first.data) and stored.filename == f"Invoice_{invoice['invoice_id']:05d}.pdf"
    second = client.get(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pdf", headers=admin_headers)
    assert second.status_code == 200 and second.data == first.data
    assert invoice_pdf.render_count == renders + 1  # served from the cache
    again = cache_row(app, invoice["invoice_id"])
    assert (again.id, again.created, again.content_hash) == (stored.id, stored.created, stored.content_hash)
    assert again.last_accessed >= stored.last_accessed


def test_changed_transaction_invoice_or_template_invalidates(app, client, admin_headers, invoice, world,
                                                            tmp_path, monkeypatch):
    path = f"/crm/invoice/{invoice['invoice_id']}/pdf"
    pdf_text(client.get(path, headers=admin_headers))
    before = cache_row(app, invoice["invoice_id"]).content_hash
    renders = invoice_pdf.render_count
    with app.app_context():
        db.session.get(Transaction, world["plan"]).title = "Mobile Plan Premium"
        db.session.commit()
    assert "Mobile Plan Premium" in pdf_text(client.get(path, headers=admin_headers))
    assert invoice_pdf.render_count == renders + 1
    assert cache_row(app, invoice["invoice_id"]).content_hash != before
    # Paying changes the invoice: the PDF is rendered again and says PAID.
    ok(client.post(f"/crm/invoice/{invoice['invoice_id']}/pay", json={"payment_method": "Cash"},
                   headers=admin_headers))
    assert "PAID" in pdf_text(client.get(path, headers=admin_headers))
    assert invoice_pdf.render_count == renders + 2
    # A changed template file renders again.
    source = (invoice_pdf.REPO_ROOT / "invoice_templates" / "norfone_invoice_template.html").read_text()
    template = tmp_path / "norfone_invoice_template.html"
    template.write_text(source)
    monkeypatch.setitem(app.config["CRM"]["invoice"], "template_dir", str(tmp_path))
    client.get(path, headers=admin_headers)
    renders = invoice_pdf.render_count
    template.write_text(source.replace("Billing Period:", "Service Period:"))
    assert "Service Period:" in pdf_text(client.get(path, headers=admin_headers))
    assert invoice_pdf.render_count == renders + 1


def test_voided_invoice_pdf_is_marked_void(client, admin_headers, invoice):
    ok(client.delete(f"/crm/invoice/{invoice['invoice_id']}", headers=admin_headers))
    text = pdf_text(client.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=admin_headers))
    assert "VOID" in text and re.search(rf"Invoice Number:\s*{invoice['invoice_id']}\b", text)
    assert re.search(r"Total\s*\$0\.00", text)  # as the API's detail: the lines were released


def test_customer_user_gets_only_own_invoice_pdf(client, admin_headers, make_user, world, invoice):
    theirs = ok(generate(client, admin_headers, world["other"]))
    customer = make_user(roles=["Customer"], contact_id=world["contact"])
    assert "Mobile Plan" in pdf_text(client.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=customer))
    for path in (f"/crm/invoice/{theirs['invoice_id']}/pdf", "/crm/invoice/999999/pdf"):
        response = client.get(path, headers=customer)
        assert response.status_code == 404 and response.mimetype == "application/json", path
    assert client.get(f"/crm/invoice/{theirs['invoice_id']}/pdf").status_code == 401
    nobody = make_user(permissions=["view_customer"])
    assert client.get(f"/crm/invoice/{theirs['invoice_id']}/pdf", headers=nobody).status_code == 403


@pytest.mark.parametrize("body, line, words", [
    ("<p>{{ invoice_number }}</p>\n<p>{% for x in transactions %}{{ x.title }</p>", 2, "unexpected '}'"),
    ("<p>{{ invoice_number }}</p>\n\n<p>{{ client.nmae }}</p>", 3, "nmae"),
])
def test_template_error_is_a_clear_500_naming_the_line(app, client, admin_headers, invoice, tmp_path, monkeypatch,
                                                       body, line, words):
    (tmp_path / "broken.html").write_text(body)
    monkeypatch.setitem(app.config["CRM"]["invoice"], "template_dir", str(tmp_path))
    monkeypatch.setitem(app.config["CRM"]["invoice"], "template_filename", "broken.html")
    response = client.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=admin_headers)
    assert response.status_code == 500 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["message"].startswith(f"Invoice template 'broken.html' line {line}:") and words in body["message"]
    assert body["errors"] == {"template": "broken.html", "line": line}
    assert cache_row(app, invoice["invoice_id"]) is None
    monkeypatch.setitem(app.config["CRM"]["invoice"], "template_filename", "missing.html")
    missing = client.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=admin_headers)
    assert missing.status_code == 500 and "'missing.html' not found" in missing.get_json()["message"]


def test_purge_command_deletes_pdfs_not_downloaded_for_n_days(app, client, admin_headers, world, invoice):
    other = ok(generate(client, admin_headers, world["other"]))
    for invoice_id in (invoice["invoice_id"], other["invoice_id"]):
        assert client.get(f"/crm/invoice/{invoice_id}/pdf", headers=admin_headers).status_code == 200
    with app.app_context():
        old = db.session.scalar(select(InvoicePdfCache).where(InvoicePdfCache.invoice_id == other["invoice_id"]))
        old.last_accessed = utcnow() - timedelta(days=40)
        db.session.commit()
    result = app.test_cli_runner().invoke(purge_invoice_pdf_cache_command, ["--older-than-days", "30"])
    assert result.exit_code == 0 and "Deleted 1 cached invoice PDF(s)." in result.output
    assert cache_row(app, other["invoice_id"]) is None and cache_row(app, invoice["invoice_id"]) is not None


def test_customer_text_is_printed_never_interpreted_as_html(app, client, admin_headers, world, invoice):
    """A title or name with markup (an `<img src=file:///...>` would make WeasyPrint read a local file) is text."""
    with app.app_context():
        db.session.get(Transaction, world["plan"]).title = '<img src="file:///etc/passwd">Plan <b>x</b>'
        db.session.commit()
    text = pdf_text(client.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=admin_headers))
    assert '<img src="file:///etc/passwd">Plan <b>x</b>' in " ".join(text.split())
