"""Batch import and export of one inventory type as CSV (e.g. 10,000 SIMs with ICCID, IMSI, Ki, OPc).

Columns are the template's labels (or the itemtextN names) plus the standard columns below. The import is
all-or-nothing: every bad row is reported with its CSV line number (the header is line 1) and nothing is written
unless every row is good; a dry run only reports.
"""
import csv
import io

from sqlalchemy import insert, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.common.serialize import plain
from omnicrm.common.validation import Checker
from omnicrm.db import utcnow
from omnicrm.errors import ValidationError
from omnicrm.inventory import secrets
from omnicrm.inventory.models import HELD_STATES, ITEMTEXT_FIELDS, Inventory
from omnicrm.inventory.service import check_item_fields, template_labels

EXPORT_COLUMNS = ("item_location", "item_state", "wholesale_cost", "retail_cost", "inventory_notes")
IMPORT_COLUMNS = (*EXPORT_COLUMNS, "management_url", "management_username", "management_password",
                  "address_line_1", "address_line_2", "city", "state", "zip_code", "country",
                  "google_maps_place_id", "plus_code", "latitude", "longitude", "config_file_path")
MAX_IMPORT_ROWS = 100_000
INSERT_CHUNK = 1000


def _column_map(header, template):
    """CSV header -> item field, by label (case-insensitive) or field name; 400 on unknown or doubled columns."""
    by_label = {label.strip().casefold(): field for field, label in template_labels(template).items()}
    mapping, errors = [], {}
    for index, raw in enumerate(header):
        name = raw.strip()
        field = by_label.get(name.casefold()) or (name if name in ITEMTEXT_FIELDS or name in IMPORT_COLUMNS
                                                  else None)
        if field is None:
            errors[name or f"column {index + 1}"] = "unknown column for template " + repr(template.item)
        elif field in mapping:
            errors[name] = f"maps to {field}, which another column already fills"
        mapping.append(field)
    if "itemtext1" not in mapping and not errors:
        label = template.itemtext1_label or "itemtext1"
        errors[label] = "the column is required"
    if errors:
        raise ValidationError("The CSV header does not match the inventory template", errors=errors)
    return mapping


def _read(text):
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError("The CSV file is empty") from None
    return header, reader


def import_items(template, text, dry_run):
    """Validate every row; unless dry_run and only when all rows are good, insert them in one transaction."""
    header, reader = _read(text)
    mapping = _column_map(header, template)
    column_of = {field: header[i].strip() for i, field in enumerate(mapping)}
    secret_fields = set(template.secret_fields or [])
    labels = template_labels(template)
    existing = {v for v in db.session.scalars(select(Inventory.itemtext1).where(
        Inventory.inventory_template_id == template.inventory_template_id))}
    seen, rows, problems = {}, [], []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) + len(problems) >= MAX_IMPORT_ROWS:
                raise ValidationError(f"Too many rows: at most {MAX_IMPORT_ROWS} per import")
            if len(record) != len(mapping):
                problems.append({"line": line, "errors": {
                    "row": f"has {len(record)} values, the header has {len(mapping)}"}})
                continue
            data = {field: value.strip() for field, value in zip(mapping, record, strict=True) if value.strip() != ""}
            check = Checker(data)
            check_item_fields(check, data, template, creating=True, labels=labels, secret_fields=secret_fields)
            state = check.values.get("item_state")
            if state in HELD_STATES:
                check.error("item_state", f"'{state}' needs a customer; import stock, then assign")
            key = data.get("itemtext1")
            if key:
                if key in existing:
                    check.error("itemtext1", "is already in the inventory")
                elif key in seen:
                    check.error("itemtext1", f"repeats line {seen[key]}")
                else:
                    seen[key] = line
            if check.errors:
                problems.append({"line": line, "errors": {column_of.get(f, f): m for f, m in check.errors.items()}})
            else:
                rows.append(check.values)
    except csv.Error as exc:
        raise ValidationError(f"The CSV file cannot be read near line {reader.line_num}: {exc}") from None
    report = {"dry_run": dry_run, "item": template.item, "inventory_template_id": template.inventory_template_id,
              "rows": len(rows) + len(problems), "valid_rows": len(rows), "invalid_rows": len(problems),
              "errors": problems, "imported": 0}
    if problems and not dry_run:
        raise ValidationError(f"Import rejected: {len(problems)} bad row(s); nothing was imported",
                              errors={"file": "fix the listed lines and import again"}, report=report)
    if dry_run or not rows:
        return report
    now = utcnow()
    base = {"inventory_template_id": template.inventory_template_id, "item": template.item, "item_state": "New",
            "wholesale_cost": template.wholesale_cost, "retail_cost": template.retail_cost,
            "created": now, "last_modified": now}
    records = []
    for values in rows:
        record = {**base, **values}
        for name in secret_fields | {"management_password"}:
            if record.get(name):
                record[name] = secrets.encrypt(record[name])
        records.append(record)
    columns = sorted({k for r in records for k in r})
    records = [{c: r.get(c) for c in columns} for r in records]
    for start in range(0, len(records), INSERT_CHUNK):
        db.session.execute(insert(Inventory), records[start:start + INSERT_CHUNK])
    activity.record("inventory_template", template.inventory_template_id, "import",
                    f"Imported {len(records)} '{template.item}' inventory item(s) from CSV")
    report["imported"] = len(records)
    return report


def export_columns(template, reveal_secrets):
    """(header, field) pairs: the labelled itemtext fields (secret ones only when revealed), then the standard
    columns. The same header is accepted back by the import."""
    secret_fields = set(template.secret_fields or [])
    columns = [(label, field) for field, label in template_labels(template).items()
               if reveal_secrets or field not in secret_fields]
    return columns + [(name, name) for name in EXPORT_COLUMNS]


def export_items(template, items, reveal_secrets):
    columns = export_columns(template, reveal_secrets)
    secret_fields = set(template.secret_fields or [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header for header, _ in columns])
    for item in items:
        row = []
        for _, field in columns:
            value = getattr(item, field)
            if field in secret_fields:
                value = secrets.decrypt(value)
            value = plain(value)
            row.append("" if value is None else value)
        writer.writerow(row)
    return out.getvalue()

