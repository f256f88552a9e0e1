"""Invoice PDFs (spec 07 §2.3-2.4, spec 02 §2): a Jinja2 HTML template from `invoice_templates/` rendered by
WeasyPrint, cached per invoice in `Invoice_PDF_Cache`.

The cache row's `content_hash` is the SHA256 of everything the PDF is made from (the template context: invoice,
its lines, customer, sites, company details; and the template's source), so a changed transaction, invoice,
customer address or template misses the cache and renders again: no invalidation hook can be forgotten.
Totals come from `invoices.totals`, the function the API's detail uses, so the PDF and the API always agree.
"""
import base64
import hashlib
import json
import traceback
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import jinja2
from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from omnicrm import db
from omnicrm.billing import invoices
from omnicrm.billing.models import InvoicePdfCache
from omnicrm.common.serialize import iso
from omnicrm.config import REPO_ROOT
from omnicrm.customers.models import Customer, Site
from omnicrm.db import utcnow
from omnicrm.errors import ApiError

ADDRESS_FIELDS = ("address_line_1", "address_line_2", "city", "state", "zip_code", "country")
# Number of PDFs actually rendered by this process (a cache hit does not count): operations and tests read it.
render_count = 0


class TemplateError(ApiError):
    """The invoice template could not be rendered: 500 naming the template and line, never a blank PDF."""

    status_code = 500


def _settings():
    return current_app.config["CRM"]["invoice"]


def template_dir():
    path = Path(_settings().get("template_dir") or "invoice_templates")
    return path if path.is_absolute() else REPO_ROOT / path


_environments = {}


def _environment():
    """One Jinja2 environment per template folder, kept: templates compile once and recompile when their file
    changes (auto_reload), instead of on every render and every cached download (bench/invoice.py)."""
    folder = str(template_dir())
    env = _environments.get(folder)
    if env is None:
        env = _environments[folder] = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                                                         undefined=jinja2.StrictUndefined, auto_reload=True)
    return env


def filename(invoice):
    """`Invoice_01234.pdf` (spec 07 §2.11)."""
    return f"Invoice_{invoice.invoice_id:05d}.pdf"


def _address(row):
    return {field: getattr(row, field, None) or "" for field in ADDRESS_FIELDS}


def _percent(value):
    """10.000 -> 10, 7.500 -> 7.5 (as the spec's "$5.00 (10%)")."""
    value = Decimal(value or 0)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _line(row, sites):
    return {"transaction_id": row.transaction_id, "created": iso(row.created), "title": row.title,
            "description": row.description or "", "transaction_type": row.transaction_type,
            "retail_cost": Decimal(row.retail_cost or 0), "wholesale_cost": Decimal(row.wholesale_cost or 0),
            "tax_percentage": _percent(row.tax_percentage), "tax_amount": Decimal(row.tax_amount or 0),
            "site_name": sites.get(row.site_id, "")}


def context(invoice):
    """The template's variables (spec 07 §2.3.1, and spec 02 §2.3's `transaction_list`): totals are the API's."""
    settings = _settings()
    # Only the customer's own columns: its contacts, attributes and tags (selectin) would be 4 more queries on every
    # render and every cached download (bench/invoice.py).
    customer = db.session.get(Customer, invoice.customer_id, options=[lazyload("*")])
    sites = db.session.scalars(select(Site).where(Site.customer_id == invoice.customer_id)
                               .order_by(Site.site_id)).all()
    rows = invoices.lines(invoice)
    lines = [_line(r, {s.site_id: s.site_name for s in sites}) for r in rows]
    sums = invoices.totals(rows)
    return {
        "invoice_number": invoice.invoice_id, "invoice_id": invoice.invoice_id, "title": invoice.title or "",
        "date": iso(invoice.created), "due_date": iso(invoice.due_date)[:10] if invoice.due_date else "",
        "start_date": iso(invoice.start_date)[:10] if invoice.start_date else "",
        "end_date": iso(invoice.end_date)[:10] if invoice.end_date else "",
        "client": {"name": customer.customer_name, "tax_identifier": customer.tax_identifier or "",
                   "address": _address(sites[0] if sites else None)},
        "sites": [{"site_name": s.site_name, "address": _address(s)} for s in sites],
        "transactions": lines, "transaction_list": [lines], "count": sums["count"],
        "total_amount": sums["subtotal"], "total_tax": sums["tax"], "subtotal": sums["subtotal"],
        "tax": sums["tax"], "total": sums["total"],
        "paid": bool(invoice.paid), "void": bool(invoice.void), "refunded": bool(invoice.refunded),
        "status": invoices.status(invoice), "payment_method": invoice.payment_method or "",
        "payment_reference": invoice.payment_reference or "",
        "company": {key: settings.get(key) or "" for key in
                    ("company_name", "company_address", "company_email", "company_phone", "company_tax_id")},
        "payment_details": settings.get("payment_details") or "",
        "logo": settings.get("logo") or "", "currency_symbol": settings.get("currency_symbol") or "$",
    }


def _content_hash(name, source, ctx):
    digest = hashlib.sha256(source.encode())
    digest.update(name.encode())
    digest.update(json.dumps(ctx, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _template_line(exc, path):
    """The template line a Jinja2 runtime error happened on (Jinja2 rewrites the traceback onto the template)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == path:
            return frame.lineno
    return None


def _not_found(name):
    return TemplateError(f"Invoice template {name!r} not found in {template_dir()}", errors={"template": name})


def _render_html(env, name, ctx):
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise _not_found(exc.name) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"Invoice template {exc.name or name!r} line {exc.lineno}: {exc.message}",
                            errors={"template": exc.name or name, "line": exc.lineno}) from None
    try:
        return template.render(**ctx)
    except Exception as exc:  # noqa: BLE001 - any failure inside the template is the template's error
        line = _template_line(exc, template.filename)
        raise TemplateError(f"Invoice template {name!r} line {line}: {exc}",
                            errors={"template": name, "line": line}) from None


def render_pdf(html):
    """The PDF bytes of the rendered HTML; relative URLs (a logo next to the template) resolve in the folder."""
    global render_count
    from weasyprint import HTML  # imported on first use: it loads pango
    pdf = HTML(string=html, base_url=str(template_dir()) + "/").write_pdf()
    if not pdf:
        raise TemplateError("The invoice template produced an empty PDF")
    render_count += 1
    return pdf


def invoice_pdf(invoice):
    """(filename, PDF bytes) of the invoice: from the cache when nothing it is made from changed, else rendered
    and stored. The caller commits."""
    env = _environment()
    name = _settings()["template_filename"]
    try:
        source, path, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        raise _not_found(name) from None
    ctx = context(invoice)
    content_hash = _content_hash(name, source, ctx)
    cached = db.session.scalar(select(InvoicePdfCache).where(InvoicePdfCache.invoice_id == invoice.invoice_id))
    if cached is not None and cached.content_hash == content_hash:
        cached.last_accessed = utcnow()
        return cached.filename, base64.b64decode(cached.pdf_data)
    pdf = render_pdf(_render_html(env, name, ctx))
    values = {"pdf_data": base64.b64encode(pdf).decode(), "filename": filename(invoice),
              "content_hash": content_hash, "file_size": len(pdf), "created": utcnow(), "last_accessed": utcnow()}
    if cached is not None:
        for key, value in values.items():
            setattr(cached, key, value)
    else:
        try:
            with db.session.begin_nested():  # a concurrent first download may have stored it meanwhile
                db.session.add(InvoicePdfCache(invoice_id=invoice.invoice_id, **values))
        except IntegrityError:
            pass
    return values["filename"], pdf


def invalidate_invoice_cache(invoice_id):
    """Drop one invoice's cached PDF (spec 02 §2.7)."""
    return db.session.execute(delete(InvoicePdfCache).where(InvoicePdfCache.invoice_id == invoice_id)).rowcount


def cleanup_old_pdf_cache(days_old=30):
    """Delete cached PDFs not downloaded for `days_old` days (spec 02 §2.7: "30 days of inactivity")."""
    cutoff = utcnow() - timedelta(days=days_old)
    deleted = db.session.execute(delete(InvoicePdfCache).where(InvoicePdfCache.last_accessed < cutoff)).rowcount
    return {"status": "success", "deleted_count": deleted}
