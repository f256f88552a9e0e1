"""/crm/product: the catalogue, its management list and the selection rules of the order screens (spec 04 §1-5)."""
from flask import g, request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import or_, select

from omnicrm import db
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_parser, list_response, paginate, parse_list_params
from omnicrm.common.validation import INT_MAX, json_body
from omnicrm.errors import Forbidden, NotFound, ValidationError
from omnicrm.products import service as products
from omnicrm.products.models import AUTO_RENEW_CHOICES, PRODUCT_CATEGORIES, Product

ns = Namespace("product", description="Product catalogue: plans, add-ons, bundles, promos", path="/product")

product_model = ns.model("Product", {
    "product_id": fields.Integer(readonly=True),
    "product_name": fields.String(required=True, example="Mobile SIM Only"),
    "product_slug": fields.String(required=True, example="Mobile-SIM"),
    "category": fields.String(required=True, enum=list(PRODUCT_CATEGORIES)),
    "service_type": fields.String(example="mobile", description="One of the configured service_types"),
    "comment": fields.String, "icon": fields.String(example="fa-solid fa-sim-card"),
    "retail_cost": fields.String(example="15.00"), "wholesale_cost": fields.String(example="5.00"),
    "retail_setup_cost": fields.String(example="0.00"), "wholesale_setup_cost": fields.String(example="1.00"),
    "tax_percentage": fields.String(example="10"), "enabled": fields.Boolean, "residential": fields.Boolean,
    "business": fields.Boolean, "customer_can_purchase": fields.Boolean,
    "available_from": fields.String(example="2025-01-01T00:00:00Z"), "available_until": fields.String,
    "contract_days": fields.Integer(example=30), "auto_renew": fields.String(enum=list(AUTO_RENEW_CHOICES)),
    "allow_auto_renew": fields.Boolean, "terms": fields.String,
    "features_list": fields.Raw(example=["20GB High-Speed Data", "Unlimited Calls & Texts"],
                                description="JSON array, a string holding a list, or 'A. B. C'"),
    "provisioning_play": fields.String(example="play_local_mobile_sim",
                                       description="Playbook name without .yaml; must exist"),
    "provisioning_json_vars": fields.Raw(example='{"days": 30, "data_gb": 20}'),
    "inventory_items_list": fields.Raw(example=["SIM Card", "Mobile Number"],
                                       description="Inventory template names (exact)"),
    "relies_on_list": fields.Raw(example=["mobile"], description="Product ids and/or service types"),
    "created": fields.String(readonly=True), "last_modified": fields.String(readonly=True),
})

SORTABLE = {"product_id": Product.product_id, "product_name": Product.product_name,
            "product_slug": Product.product_slug, "category": Product.category,
            "service_type": Product.service_type, "retail_cost": Product.retail_cost,
            "created": Product.created, "last_modified": Product.last_modified}
FILTERS = {"category": Product.category, "service_type": Product.service_type, "enabled": Product.enabled,
           "residential": Product.residential, "business": Product.business,
           "customer_can_purchase": Product.customer_can_purchase}
SEARCHABLE = (Product.product_name, Product.product_slug, Product.comment, Product.service_type)


# Staff-only fields (spec 04 §2: comment is never shown to customers; wholesale costs are the operator's margin).
CUSTOMER_HIDDEN = ("comment", "wholesale_cost", "wholesale_setup_cost", "provisioning_play",
                   "provisioning_json_vars")


def _is_customer_user():
    return g.identity.is_customer_user


def _render(product):
    body = products.product_to_dict(product)
    if _is_customer_user():
        for name in CUSTOMER_HIDDEN:
            body.pop(name, None)
    return body


def _flag(name):
    raw = request.args.get(name)
    if raw in (None, ""):
        return False
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ValidationError("Validation failed", errors={name: "must be true or false"})


def _int_arg(name):
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not 0 < value <= INT_MAX:
        raise ValidationError("Validation failed", errors={name: "must be a whole number (an id)"})
    return value


def _selection_context():
    """Who the offer is for: (customer, service, account_type), honouring the caller's customer scope."""
    from omnicrm.customers.models import ACCOUNT_TYPES, Customer
    from omnicrm.services.models import Service
    customer_id, service_id = _int_arg("customer_id"), _int_arg("service_id")
    scope = g.identity.customer_id if _is_customer_user() else None
    service = None
    if service_id is not None:
        service = db.session.get(Service, service_id)
        if service is None or (scope is not None and service.customer_id != scope):
            raise NotFound(f"Service {service_id} not found")
        if customer_id is not None and customer_id != service.customer_id:
            raise ValidationError("Validation failed", errors={"service_id": "belongs to another customer"})
        customer_id = service.customer_id
    if scope is not None:
        if customer_id is not None and customer_id != scope:
            raise NotFound(f"Customer {customer_id} not found")
        customer_id = scope
    customer = None
    if customer_id is not None:
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"Customer {customer_id} not found")
    account_type = request.args.get("account_type") or None
    if account_type is not None and account_type not in ACCOUNT_TYPES:
        raise ValidationError("Validation failed",
                              errors={"account_type": f"must be one of: {', '.join(ACCOUNT_TYPES)}"})
    if customer is not None:
        account_type = customer.customer_account_type
    return customer, service, account_type


@ns.route("/")
class Products(Resource):
    @requires("view_product", self_care=True)
    @ns.expect(list_parser)
    @ns.doc(params={
        "customer_id": "Offer for this customer: its account type and its services (relies_on_list) apply",
        "service_id": "Add-ons for this existing service: category addon with the service's service_type",
        "account_type": "Individual or Business, when no customer is given",
        "category": "standalone, addon, bundle, promo (comma-separated)", "service_type": "e.g. mobile",
        "include_disabled": "true (staff with update_product): also disabled and out-of-window products"})
    def get(self):
        """Products that may be sold now: enabled, inside available_from..available_until, allowed for the
        customer's account type, relies_on_list met; customer users only see customer_can_purchase products."""
        params = parse_list_params(default_per_page=100)
        include_disabled = _flag("include_disabled")
        if include_disabled and (_is_customer_user() or not g.identity.has("update_product")):
            raise Forbidden("include_disabled is for catalogue administrators (update_product)")
        customer, service, account_type = _selection_context()
        stmt = products.offer_filters(select(Product), account_type=account_type,
                                      include_disabled=include_disabled, self_purchase=_is_customer_user())
        categories = [c.strip() for c in (request.args.get("category") or "").split(",") if c.strip()]
        categories += [str(c) for c in params.filters.pop("category", [])]
        bad = [c for c in categories if c not in PRODUCT_CATEGORIES]
        if bad:
            raise ValidationError("Validation failed", errors={
                "category": f"unknown {', '.join(bad)}; allowed: {', '.join(PRODUCT_CATEGORIES)}"})
        service_types = [s for s in [request.args.get("service_type")] if s]
        service_types += [str(s) for s in params.filters.pop("service_type", [])]
        if service is not None:
            # Add-ons for an existing service: only those of the service's type (spec 04 §5.5).
            if categories and categories != ["addon"]:
                raise ValidationError("Validation failed", errors={"category": "with service_id only addon applies"})
            categories = ["addon"]
            stmt = stmt.where(Product.service_type == service.service_type)
        if categories:
            stmt = stmt.where(Product.category.in_(categories))
        if service_types:
            stmt = stmt.where(Product.service_type.in_(service_types))
        if params.filters:
            raise ValidationError("Invalid list parameters", errors={
                f"filters.{name}": "unknown filter; allowed: category, service_type" for name in params.filters})
        if params.search:
            like = f"%{params.search}%"
            stmt = stmt.where(or_(*(col.ilike(like) for col in SEARCHABLE)))
        sort_name = params.sort or "product_name"
        if sort_name not in SORTABLE:
            raise ValidationError("Invalid list parameters", errors={
                "sort": f"cannot sort by {sort_name!r}; allowed: {', '.join(sorted(SORTABLE))}"})
        column = SORTABLE[sort_name]
        stmt = stmt.order_by(column.desc() if params.order == "desc" else column.asc(), Product.product_id)
        rows = db.session.scalars(stmt).all()
        if customer is not None and not include_disabled:
            holdings = products.customer_holdings(customer.customer_id)
            rows = [p for p in rows if products.dependencies_met(p, holdings)]
        start = (params.page - 1) * params.per_page
        page = [_render(p) for p in rows[start:start + params.per_page]]
        return list_response(page, params, len(rows))

    @requires("create_product")
    @ns.expect(product_model)
    @ns.response(201, "Created", product_model)
    def post(self):
        """Create a product (every field of spec 04 §2; provisioning_play must exist in the playbook folder)."""
        product = products.create_product(json_body())
        return db.commit_rendered(products.product_to_dict, product), 201

    @requires("create_product")
    @ns.expect(product_model)
    @ns.response(201, "Created", product_model)
    def put(self):
        """Create a product (same as POST)."""
        return self.post()


@ns.route("/paginated")
class ProductManagement(Resource):
    @requires("view_product")
    @ns.expect(list_parser)
    def get(self):
        """Product Management list: every product, disabled and out-of-window ones included (staff only).
        Filters: category, service_type, enabled, residential, business, customer_can_purchase."""
        params = parse_list_params()
        return paginate(select(Product), params, sortable=SORTABLE, default_sort="product_id",
                        serialize=products.product_to_dict, searchable=SEARCHABLE, filterable=FILTERS)


@ns.route("/product_id/<int:product_id>")
class ProductById(Resource):
    @requires("view_product", self_care=True)
    @ns.response(200, "The product", product_model)
    def get(self, product_id):
        """The full product definition (read by the playbooks)."""
        return _render(products.get_product(product_id))

    @requires("update_product")
    @ns.expect(product_model)
    @ns.response(200, "Updated", product_model)
    def patch(self, product_id):
        """Update some fields (enable/disable with {"enabled": false}); last_modified is set."""
        product = products.update_product(products.get_product(product_id), json_body())
        return db.commit_rendered(products.product_to_dict, product)

    @requires("update_product")
    @ns.expect(product_model)
    def put(self, product_id):
        """Update a product (same as PATCH)."""
        return self.patch(product_id)

    @requires("delete_product")
    @ns.response(409, "Services use this product: disable it instead")
    def delete(self, product_id):
        """Delete a product no service uses."""
        products.delete_product(products.get_product(product_id))
        db.session.commit()
        return {"message": "Product deleted"}


@ns.route("/product_id/<int:product_id>/clone")
class ProductClone(Resource):
    @requires("create_product")
    @ns.response(201, "The copy (disabled, name and slug suffixed _clone)", product_model)
    def post(self, product_id):
        """Clone Product: a disabled copy whose name and slug carry the suffix _clone."""
        clone = products.clone_product(products.get_product(product_id))
        return db.commit_rendered(products.product_to_dict, clone), 201


namespaces = [ns]
