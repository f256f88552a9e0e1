"""The one list convention of the API.

Request: `page`, `per_page`, `sort`, `order`, `search`, `filters` (a JSON object: field -> list of allowed values).
Response: `{"data": [...], "pagination": {"current_page", "per_page", "total_pages", "total_items"}}`.
"""
import json
import math
from dataclasses import dataclass, field

from flask import request
from flask_restx import fields, reqparse
from sqlalchemy import func, or_, select

from omnicrm import db
from omnicrm.errors import ValidationError

MAX_PER_PAGE = 500
# Broad queries are counted up to this many matches ("VIP customers", the search "jo" at a million customers):
# past it `total_items` is COUNT_CAP and `pagination.total_is_estimate` is true, which is all a person paging
# through a list needs to know.
COUNT_CAP = 1000

list_parser = reqparse.RequestParser(bundle_errors=True)
list_parser.add_argument("page", type=int, default=1, location="args", help="Page number, from 1")
list_parser.add_argument("per_page", type=int, default=20, location="args", help=f"Items per page, 1-{MAX_PER_PAGE}")
list_parser.add_argument("sort", type=str, location="args", help="Column to sort by")
list_parser.add_argument("order", type=str, default="asc", location="args", choices=("asc", "desc"),
                         help="asc or desc")
list_parser.add_argument("search", type=str, location="args", help="Free text")
list_parser.add_argument("filters", type=str, location="args",
                         help='JSON object: field -> list of values, e.g. {"customer_status": ["Open"]}')

pagination_model = {
    "current_page": fields.Integer, "per_page": fields.Integer,
    "total_pages": fields.Integer, "total_items": fields.Integer,
}


@dataclass
class ListParams:
    page: int = 1
    per_page: int = 20
    sort: str | None = None
    order: str = "asc"
    search: str | None = None
    filters: dict = field(default_factory=dict)


def _int_arg(args, name, default, minimum, maximum, errors):
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = "must be a whole number"
        return default
    if not minimum <= value <= maximum:
        errors[name] = f"must be between {minimum} and {maximum}"
    return value


def _plain_filter_value(value):
    """A value a column can be compared with: no nested lists/objects, no integer the database cannot bind."""
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63
    return value is None or isinstance(value, (str, float, bool))


def parse_list_params(args=None, default_per_page=20):
    """Read and validate the list parameters from the query string; 400 with field errors when wrong."""
    args = request.args if args is None else args
    errors = {}
    params = ListParams(
        page=_int_arg(args, "page", 1, 1, 10**9, errors),
        per_page=_int_arg(args, "per_page", default_per_page, 1, MAX_PER_PAGE, errors),
        sort=args.get("sort") or None,
        order=(args.get("order") or "asc").lower(),
        search=(args.get("search") or "").strip() or None,
    )
    if params.order not in ("asc", "desc"):
        errors["order"] = "must be asc or desc"
    raw_filters = args.get("filters")
    if raw_filters:
        try:
            filters = json.loads(raw_filters)
        except (ValueError, RecursionError):
            filters = None
        if not isinstance(filters, dict):
            errors["filters"] = "must be a JSON object mapping a field to a list of values"
        else:
            params.filters = {k: (v if isinstance(v, list) else [v]) for k, v in filters.items()}
            for name, values in params.filters.items():
                if not all(_plain_filter_value(v) for v in values):
                    errors[f"filters.{name}"] = "values must be text, numbers (64-bit) or true/false"
    if errors:
        raise ValidationError("Invalid list parameters", errors=errors)
    return params


def paginate(stmt, params, *, sortable, default_sort, serialize, searchable=(), filterable=None,
             search_clause=None):
    """Apply search, filters, sort and paging to a SELECT of ORM rows and return the list response.

    `sortable` and `filterable` map public field names to columns (a filterable value may also be a function
    taking the list of values and returning a WHERE clause); unknown names are a 400, not silently ignored.
    """
    filterable = filterable or {}
    errors = {}
    for name, values in params.filters.items():
        target = filterable.get(name)
        if target is None:
            errors[f"filters.{name}"] = f"unknown filter; allowed: {', '.join(sorted(filterable)) or 'none'}"
        elif callable(target) and not hasattr(target, "in_"):
            stmt = stmt.where(target(values))
        else:
            stmt = stmt.where(target.in_(values))
    if params.search:
        if search_clause is not None:
            stmt = stmt.where(search_clause(params.search))
        elif searchable:
            like = f"%{params.search}%"
            stmt = stmt.where(or_(*(col.ilike(like) for col in searchable)))
    sort_name = params.sort or default_sort
    if sort_name not in sortable:
        errors["sort"] = f"cannot sort by {sort_name!r}; allowed: {', '.join(sorted(sortable))}"
    if errors:
        raise ValidationError("Invalid list parameters", errors=errors)
    column = sortable[sort_name]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ordered = column.desc() if params.order == "desc" else column.asc()
    tiebreak = sortable[default_sort]
    order = [ordered] if column is tiebreak else [ordered, tiebreak.desc() if params.order == "desc"
                                                  else tiebreak.asc()]
    rows = db.session.scalars(stmt.order_by(*order).limit(params.per_page)
                              .offset((params.page - 1) * params.per_page)).unique().all()
    return list_response([serialize(r) for r in rows], params, total)


def list_response(data, params, total, estimate=False):
    """The list body; a count stopped at COUNT_CAP says so with `total_is_estimate: true` (absent otherwise)."""
    pagination = {
        "current_page": params.page,
        "per_page": params.per_page,
        "total_pages": max(1, math.ceil(total / params.per_page)) if total else 0,
        "total_items": total,
    }
    if estimate:
        pagination["total_is_estimate"] = True
    return {"data": data, "pagination": pagination}
