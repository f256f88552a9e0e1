"""/crm/inventory: inventory templates, items, the order-screen selector, CSV import/export (spec 02 §4, 06 §4)."""
from flask import Response, g, request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import or_, select

from omnicrm import db
from omnicrm.auth.identity import customer_scope, ensure_customer_visible
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_parser, list_response, paginate, parse_list_params
from omnicrm.common.validation import json_body
from omnicrm.errors import NotFound, ValidationError
from omnicrm.inventory import csv_io
from omnicrm.inventory import service as inventory
from omnicrm.inventory.models import ITEM_STATES, ITEMTEXT_FIELDS, LABEL_FIELDS, Inventory, InventoryTemplate

ns = Namespace("inventory", description="Inventory items (SIMs, numbers, CPEs, IP blocks) and their templates",
               path="/inventory")

template_model = ns.model("InventoryTemplate", {
    "inventory_template_id": fields.Integer(readonly=True),
    "item": fields.String(required=True, example="SIM Card", description="Type name; products name it exactly"),
    "icon": fields.String(example="fa-solid fa-sim-card"),
    "wholesale_cost": fields.String(required=True, example="2.50"),
    "retail_cost": fields.String(required=True, example="10.00"),
    "allow_staff_dropdown": fields.Boolean, "allow_customer_dropdown": fields.Boolean,
    "secret_fields": fields.List(fields.String, example=["itemtext3", "itemtext4"],
                                 description="itemtext fields holding secrets (Ki, OPc): encrypted, masked"),
    **{name: fields.String(required=i <= 2, example={1: "ICCID", 2: "IMSI"}.get(i))
       for i, name in enumerate(LABEL_FIELDS, start=1)},
})
item_model = ns.model("InventoryItem", {
    "inventory_id": fields.Integer(readonly=True),
    "inventory_template_id": fields.Integer(description="Template (or give its exact name in item)"),
    "item": fields.String(example="SIM Card"), "customer_id": fields.Integer, "service_id": fields.Integer,
    "item_state": fields.String(enum=list(ITEM_STATES)), "item_location": fields.String,
    "wholesale_cost": fields.String, "retail_cost": fields.String, "sold_date": fields.String,
    **{name: fields.String for name in ITEMTEXT_FIELDS},
    **{name: fields.String for name in ("address_line_1", "address_line_2", "city", "state", "zip_code",
                                        "country", "google_maps_place_id", "plus_code", "latitude", "longitude",
                                        "management_url", "management_username", "management_password",
                                        "config_content", "config_file_path", "inventory_notes")},
})
assign_model = ns.model("InventoryAssign", {
    "customer_id": fields.Integer, "service_id": fields.Integer, "item_state": fields.String(example="Assigned")})
import_report_model = ns.model("InventoryImportReport", {
    "dry_run": fields.Boolean, "item": fields.String, "rows": fields.Integer, "valid_rows": fields.Integer,
    "invalid_rows": fields.Integer, "imported": fields.Integer,
    "errors": fields.List(fields.Raw, description='[{"line": 7, "errors": {"ICCID": "is required"}}]'),
})

TEMPLATE_SORTABLE = {"inventory_template_id": InventoryTemplate.inventory_template_id,
                     "item": InventoryTemplate.item, "created": InventoryTemplate.created}
TEMPLATE_FILTERS = {"allow_staff_dropdown": InventoryTemplate.allow_staff_dropdown,
                    "allow_customer_dropdown": InventoryTemplate.allow_customer_dropdown,
                    "item": InventoryTemplate.item}
ITEM_SORTABLE = {"inventory_id": Inventory.inventory_id, "item": Inventory.item, "item_state": Inventory.item_state,
                 "itemtext1": Inventory.itemtext1, "item_location": Inventory.item_location,
                 "customer_id": Inventory.customer_id, "created": Inventory.created,
                 "last_modified": Inventory.last_modified, "sold_date": Inventory.sold_date}


def _check_states(values):
    wrong = [v for v in values if v not in ITEM_STATES]
    if wrong:
        raise ValidationError("Invalid list parameters", errors={
            "filters.item_state": f"unknown state(s) {wrong}; allowed: {', '.join(ITEM_STATES)}"})
    return Inventory.item_state.in_(values)


def _assigned(values):
    flags = {str(v).lower() in ("true", "1") for v in values}
    clauses = []
    if True in flags:
        clauses.append(Inventory.customer_id.isnot(None) | Inventory.service_id.isnot(None))
    if False in flags:
        clauses.append(Inventory.customer_id.is_(None) & Inventory.service_id.is_(None))
    return or_(*clauses)


ITEM_FILTERS = {"inventory_template_id": Inventory.inventory_template_id, "item": Inventory.item,
                "item_state": _check_states, "customer_id": Inventory.customer_id,
                "service_id": Inventory.service_id, "item_location": Inventory.item_location,
                "assigned": _assigned}


def _reveal():
    return g.identity.has("view_inventory_secrets")


def _template_from_args():
    """The template named by ?inventory_template_id= or ?item= (exact name)."""
    if request.args.get("inventory_template_id"):
        try:
            return inventory.get_template(int(request.args["inventory_template_id"]))
        except ValueError:
            raise ValidationError("Validation failed",
                                  errors={"inventory_template_id": "must be a whole number"}) from None
    name = request.args.get("item")
    if not name:
        raise ValidationError("Validation failed", errors={"item": "give the template name (item) or "
                                                                   "inventory_template_id"})
    template = inventory.template_by_name(name)
    if template is None:
        raise NotFound(f"No inventory template is named {name!r}")
    return template


# ------------------------------------------------------------------------------------------- templates

@ns.route("/template/")
class Templates(Resource):
    @requires("view_inventory_template")
    @ns.expect(list_parser)
    def get(self):
        """List inventory templates (item types with their field labels)."""
        params = parse_list_params()
        return paginate(select(InventoryTemplate), params, sortable=TEMPLATE_SORTABLE, default_sort="item",
                        serialize=inventory.template_to_dict, searchable=(InventoryTemplate.item,),
                        filterable=TEMPLATE_FILTERS)

    @requires("create_inventory_template")
    @ns.expect(template_model)
    @ns.response(201, "Created", template_model)
    def post(self):
        """Create an inventory template: item name, default costs, itemtext1..20 labels, secret fields."""
        template = inventory.create_template(json_body())
        return db.commit_rendered(inventory.template_to_dict, template), 201

    @requires("create_inventory_template")
    @ns.expect(template_model)
    @ns.response(201, "Created", template_model)
    def put(self):
        """Create an inventory template (same as POST)."""
        return self.post()


@ns.route("/template/inventory_template_id/<int:inventory_template_id>")
class TemplateById(Resource):
    @requires("view_inventory_template")
    @ns.response(200, "The template", template_model)
    def get(self, inventory_template_id):
        """One inventory template."""
        return inventory.template_to_dict(inventory.get_template(inventory_template_id))

    @requires("update_inventory_template")
    @ns.expect(template_model)
    def patch(self, inventory_template_id):
        """Update a template. Renaming renames its items; products still naming the old name are reported."""
        template = inventory.get_template(inventory_template_id)
        warnings = inventory.update_template(template, json_body())
        body = db.commit_rendered(inventory.template_to_dict, template)
        if warnings:
            body["warnings"] = warnings
        return body

    @requires("update_inventory_template")
    @ns.expect(template_model)
    def put(self, inventory_template_id):
        """Update a template (same as PATCH)."""
        return self.patch(inventory_template_id)

    @requires("delete_inventory_template")
    @ns.response(409, "Items of this type exist, or products require it")
    def delete(self, inventory_template_id):
        """Delete a template that has no items and that no product requires."""
        inventory.delete_template(inventory.get_template(inventory_template_id))
        db.session.commit()
        return {"message": "Inventory template deleted"}


# ------------------------------------------------------------------------------------------- items

@ns.route("/")
class Items(Resource):
    @requires("view_inventory", own="view_own_inventory")
    @ns.expect(list_parser)
    def get(self):
        """List items. Filters: inventory_template_id, item, item_state, customer_id, service_id, item_location,
        assigned; search covers the itemtext fields (not secrets), type, location and notes."""
        params = parse_list_params()
        stmt = select(Inventory)
        if customer_scope() is not None:
            stmt = stmt.where(Inventory.customer_id == customer_scope())
        return paginate(stmt, params, sortable=ITEM_SORTABLE, default_sort="inventory_id",
                        serialize=lambda i: inventory.item_to_dict(i, reveal_secrets=False),
                        filterable=ITEM_FILTERS, search_clause=inventory.search_clause)

    @requires("create_inventory")
    @ns.expect(item_model)
    @ns.response(201, "Created", item_model)
    def post(self):
        """Create an item of a template (costs default to the template's)."""
        item = inventory.create_item(json_body())
        return db.commit_rendered(inventory.item_to_dict, item, reveal_secrets=_reveal()), 201

    @requires("create_inventory")
    @ns.expect(item_model)
    @ns.response(201, "Created", item_model)
    def put(self):
        """Create an item (same as POST)."""
        return self.post()


@ns.route("/inventory_id/<int:inventory_id>")
class ItemById(Resource):
    @requires("view_inventory", own="view_own_inventory")
    @ns.response(200, "The item with its labels", item_model)
    def get(self, inventory_id):
        """One item, with its template labels (also as keys: iccid, imsi, ki...). Secrets need
        view_inventory_secrets."""
        item = inventory.get_item(inventory_id)
        if customer_scope() is not None:
            if item.customer_id is None:
                raise NotFound("Not found")
            ensure_customer_visible(item.customer_id)
        return inventory.item_to_dict(item, reveal_secrets=_reveal())

    @requires("update_inventory")
    @ns.expect(item_model)
    @ns.response(409, "The item is already assigned, or was taken by a concurrent request")
    def patch(self, inventory_id):
        """Update an item; assign it ({customer_id, service_id, item_state: Assigned}) or release it
        ({customer_id: null, service_id: null, item_state: In Stock}). Assignment is atomic."""
        item = inventory.update_item(inventory.get_item(inventory_id), json_body())
        return db.commit_rendered(inventory.item_to_dict, item, reveal_secrets=_reveal())

    @requires("update_inventory")
    @ns.expect(item_model)
    def put(self, inventory_id):
        """Update an item (same as PATCH)."""
        return self.patch(inventory_id)

    @requires("delete_inventory")
    @ns.response(409, "The item is assigned")
    def delete(self, inventory_id):
        """Delete an unassigned item."""
        inventory.delete_item(inventory.get_item(inventory_id))
        db.session.commit()
        return {"message": "Inventory item deleted"}


@ns.route("/service_id/<int:service_id>")
class ServiceItems(Resource):
    @requires("view_inventory")
    @ns.response(200, "{data: [every item of the service]} (no paging: deprovisioning must see them all)")
    def get(self, service_id):
        """Every inventory item of a service (deprovisioning reads the SIMs' IMSI from here for the HSS)."""
        return {"data": [inventory.item_to_dict(i) for i in inventory.service_items(service_id)]}


@ns.route("/service_id/<int:service_id>/release")
class ServiceItemsRelease(Resource):
    @requires("update_inventory")
    @ns.response(200, "{released: [{inventory_id, item, item_state, quarantine_until}]}")
    def post(self, service_id):
        """Release every item of a deprovisioned service by kind (spec 06 §12): numbers Quarantined for the porting
        period (then In Stock), SIMs In Stock, other equipment Used."""
        released = inventory.release_service_inventory(service_id)
        db.session.commit()
        return {"service_id": service_id, "released": released}


@ns.route("/customer_id/<int:customer_id>")
class CustomerItems(Resource):
    @requires("view_inventory", own="view_own_inventory")
    @ns.expect(list_parser)
    def get(self, customer_id):
        """The items of a customer (the customer's Inventory tab), in the list convention."""
        ensure_customer_visible(customer_id)
        from omnicrm.customers.models import Customer
        if db.session.get(Customer, customer_id) is None:
            raise NotFound(f"Customer {customer_id} not found")
        params = parse_list_params(default_per_page=100)
        stmt = select(Inventory).where(Inventory.customer_id == customer_id)
        return paginate(stmt, params, sortable=ITEM_SORTABLE, default_sort="inventory_id",
                        serialize=lambda i: inventory.item_to_dict(i, reveal_secrets=False),
                        filterable=ITEM_FILTERS, search_clause=inventory.search_clause)


@ns.route("/available")
class Available(Resource):
    @requires("view_inventory", own="view_own_inventory")
    @ns.doc(params={"item": "Exact template name, e.g. SIM Card", "inventory_template_id": "or the template id",
                    "item_location": "Only items at this location", "search": "Free text", "page": "",
                    "per_page": ""})
    def get(self):
        """The inventory selector: items of one type that may be assigned now (New/In Stock, no customer, no
        service). Each has a `label` for the dropdown. Templates closed to staff (or, for customers, not open to
        customers) list nothing."""
        template = _template_from_args()
        params = parse_list_params(default_per_page=100)
        open_to_caller = (template.allow_customer_dropdown if customer_scope() is not None
                          else template.allow_staff_dropdown)
        if not open_to_caller:
            return {**list_response([], params, 0), "item": template.item,
                    "message": "This inventory type is not offered in dropdowns"}
        stmt = inventory.free_items_query(template_id=template.inventory_template_id,
                                          location=request.args.get("item_location") or None)

        def option(item):
            body = inventory.item_to_dict(item, reveal_secrets=False, with_labels=False)
            body["label"] = inventory.option_label(item)
            return body

        body = paginate(stmt, params, sortable=ITEM_SORTABLE, default_sort="inventory_id", serialize=option,
                        search_clause=inventory.search_clause)
        body["item"] = template.item
        if not body["data"]:
            body["message"] = "No inventory available"
        return body


@ns.route("/import")
class Import(Resource):
    @requires("create_inventory")
    @ns.doc(params={"item": "Template name", "inventory_template_id": "or the template id",
                    "dry_run": "true: only validate and report"})
    @ns.response(200, "Report (dry run) or import done", import_report_model)
    @ns.response(400, "Bad header, or bad rows (report with line numbers; nothing imported)")
    def post(self):
        """Import items of one template from CSV (body text/csv, or multipart field `file`). All-or-nothing."""
        template = _template_from_args()
        dry_run = str(request.args.get("dry_run", "false")).lower() in ("true", "1", "yes")
        upload = request.files.get("file")
        raw = upload.read() if upload is not None else request.get_data()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The CSV file must be UTF-8 text") from None
        report = csv_io.import_items(template, text, dry_run)
        if not dry_run:
            db.session.commit()
        return report


@ns.route("/export")
class Export(Resource):
    @requires("view_inventory")
    @ns.doc(params={"item": "Template name", "inventory_template_id": "or the template id",
                    "filters": 'JSON, e.g. {"item_state": ["New", "In Stock"]}', "search": "Free text"})
    def get(self):
        """Export the items of one template as CSV, with the import's columns. Secret columns (Ki, OPc) are
        included only for callers holding view_inventory_secrets."""
        template = _template_from_args()
        params = parse_list_params()
        stmt = select(Inventory).where(Inventory.inventory_template_id == template.inventory_template_id)
        for name, values in params.filters.items():
            target = ITEM_FILTERS.get(name)
            if target is None:
                raise ValidationError("Invalid list parameters", errors={f"filters.{name}": "unknown filter"})
            stmt = stmt.where(target(values) if callable(target) and not hasattr(target, "in_")
                              else target.in_(values))
        if params.search:
            stmt = stmt.where(inventory.search_clause(params.search))
        items = db.session.scalars(stmt.order_by(Inventory.inventory_id)).all()
        text = csv_io.export_items(template, items, reveal_secrets=_reveal())
        filename = "".join(c if c.isalnum() else "_" for c in template.item) + ".csv"
        return Response(text, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


namespaces = [ns]
