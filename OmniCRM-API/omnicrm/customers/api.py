"""/crm/customer, /crm/customers, /crm/contact, /crm/site, /crm/attribute, /crm/tag (spec 03 §3-7, spec 01 §4,
spec 02 §5). As in the spec, PUT on a collection creates."""
from flask import current_app, request
from flask_restx import Namespace, Resource, fields

from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_parser, pagination_model, parse_list_params
from omnicrm.common.validation import Checker, json_body
from omnicrm.customers import service
from omnicrm.customers.listing import list_customers
from omnicrm.errors import DependencyUnavailable
from omnicrm.integrations import google_maps

customer_ns = Namespace("customer", description="Customers: create, read, update, status, archive, restore",
                        path="/customer")
customers_ns = Namespace("customers", description="The paginated customer list", path="/customers")
contact_ns = Namespace("contact", description="Customer contacts (Primary, Billing, Technical)", path="/contact")
site_ns = Namespace("site", description="Customer sites, geocoding and Plus Codes", path="/site")
attribute_ns = Namespace("attribute", description="Customer attributes: key/value metadata", path="/attribute")
tag_ns = Namespace("tag", description="Customer tags: coloured, dated pills", path="/tag")

contact_model = customer_ns.model("Contact", {
    "contact_id": fields.Integer(readonly=True), "customer_id": fields.Integer(required=True),
    "contact_firstname": fields.String(required=True), "contact_lastname": fields.String,
    "contact_email": fields.String, "contact_phone": fields.String(example="+44 7700 900123"),
    "contact_phone_e164": fields.String(readonly=True),
    "contact_types": fields.String(description="Comma-separated: Primary, Billing, Technical", example="Billing"),
    "contact_notes": fields.String, "created": fields.String(readonly=True),
    "last_modified": fields.String(readonly=True)})
site_model = customer_ns.model("Site", {
    "site_id": fields.Integer(readonly=True), "customer_id": fields.Integer(required=True),
    "site_name": fields.String, "address_line_1": fields.String, "address_line_2": fields.String,
    "city": fields.String, "state": fields.String, "zip_code": fields.String, "country": fields.String,
    "latitude": fields.Float(description="Required unless a Google Maps key lets the address be geocoded"),
    "longitude": fields.Float, "google_maps_place_id": fields.String,
    "plus_code": fields.String(readonly=True, description="Computed from latitude/longitude"),
    "address_notes": fields.String, "created": fields.String(readonly=True),
    "last_modified": fields.String(readonly=True)})
attribute_model = customer_ns.model("Attribute", {
    "attribute_id": fields.Integer(readonly=True), "customer_id": fields.Integer(required=True),
    "attribute_name": fields.String(required=True, example="external_crm_id"),
    "attribute_value": fields.String(required=True, example="SF-12345", description="At most 150 characters"),
    "created": fields.String(readonly=True, example="2025-01-04 10:30:00"),
    "last_modified": fields.String(readonly=True)})
tag_model = customer_ns.model("Tag", {
    "tag_id": fields.Integer(readonly=True), "customer_id": fields.Integer(required=True),
    "tag_text": fields.String(required=True, example="Cliente VIP"),
    "tag_hex_color": fields.String(required=True, example="FFD700"),
    "tag_link": fields.String(example="https://example.com/vip"),
    "tag_active_date": fields.String(required=True, example="2025-01-01 00:00:00"),
    "tag_deactivate_date": fields.String(example="2099-12-31 23:59:59", description="Default 2099-01-01"),
    "tag_active": fields.Boolean(readonly=True, description="Shown as a pill now")})
customer_model = customer_ns.model("Customer", {
    "customer_id": fields.Integer(readonly=True), "customer_name": fields.String(required=True),
    "customer_account_type": fields.String(enum=["Individual", "Business"]),
    "customer_status": fields.String(enum=["Open", "Suspended", "Closed", "Archived"]),
    "customer_payment_type": fields.String(enum=["prepaid", "postpaid"]),
    "customer_enabled": fields.Boolean(readonly=True), "tax_identifier": fields.String,
    "contract_start_date": fields.String, "contract_end_date": fields.String, "customer_notes": fields.String,
    "status_before_archive": fields.String(readonly=True), "archived_at": fields.String(readonly=True),
    "created": fields.String(readonly=True), "last_modified": fields.String(readonly=True),
    "amount_owed": fields.String(readonly=True, example="120.50",
                                 description="Sum of the unpaid, not voided invoices (Decimal text)"),
    "overdue_amount": fields.String(readonly=True, example="60.00",
                                    description="Of amount_owed, the invoices past their due date"),
    "overdue_invoices": fields.Integer(readonly=True, description="Unpaid, not voided invoices past due")})
customer_detail_model = customer_ns.inherit("CustomerDetail", customer_model, {
    "contacts": fields.List(fields.Nested(contact_model)), "sites": fields.List(fields.Nested(site_model)),
    "tags": fields.List(fields.Nested(tag_model)), "attributes": fields.List(fields.Nested(attribute_model))})
customer_create_model = customer_ns.inherit("CustomerCreate", customer_model, {
    "contacts": fields.List(fields.Nested(contact_model), description="Optional first contacts"),
    "sites": fields.List(fields.Nested(site_model), description="Optional first sites")})
customer_list_model = customers_ns.model("CustomerList", {
    "data": fields.List(fields.Nested(customer_model)),
    "pagination": fields.Nested(customers_ns.model("CustomerPagination", pagination_model))})
result_model = customer_ns.model("Result", {"result": fields.String(example="success")})
for _ns in (customers_ns, contact_ns, site_ns, attribute_ns, tag_ns):
    for _model in (customer_model, customer_detail_model, customer_create_model, contact_model, site_model,
                   attribute_model, tag_model, result_model):
        _ns.models[_model.name] = _model

LIST_HELP = ('filters: customer_status, customer_account_type, customer_payment_type, customer_enabled, '
             'customer_id, tag, attribute.<name>, created_from, created_to, owes (amount_owed > 0), overdue '
             '(an unpaid invoice past due); e.g. {"customer_status": ["Open"], "attribute.support_tier": '
             '["premium"]}, {"owes": [true]}. Sort also by amount_owed. Archived customers appear only when '
             'filtered by status.')


# ---------------------------------------------------------------- customers

def _customer_list():
    return list_customers(parse_list_params())


@customer_ns.route("/")
class CustomerCollection(Resource):
    @requires("create_customer")
    @customer_ns.expect(customer_create_model)
    @customer_ns.response(201, "Created", customer_detail_model)
    @customer_ns.response(400, "Validation failed (errors name the fields)")
    def put(self):
        """Create a customer (optionally with contacts and sites, all or nothing); its contacts with an e-mail address
        get the Customer Welcome e-mail (spec 06 §13.3)."""
        customer = service.create_customer(json_body())
        service.send_welcome_email(customer)
        return service.customer_to_dict(customer, detail=True), 201

    @requires("view_customer", own="view_own_customer")
    @customer_ns.expect(list_parser)
    @customer_ns.response(200, "Customers", customer_list_model)
    def get(self):
        """List customers (same as GET /customers)."""
        return _customer_list()


@customer_ns.route("/customer_id/<int:customer_id>")
class CustomerItem(Resource):
    @requires("view_customer", own="view_own_customer")
    @customer_ns.response(200, "The customer with contacts, sites, tags and attributes", customer_detail_model)
    @customer_ns.response(404, "No such customer")
    def get(self, customer_id):
        """Read a customer with its contacts, sites, tags and attributes."""
        return service.customer_to_dict(service.get_customer(customer_id), detail=True)

    @requires("update_customer")
    @customer_ns.expect(customer_model)
    @customer_ns.response(200, "Updated", customer_detail_model)
    @customer_ns.response(409, "Status change not allowed (allowed_statuses lists the possible ones)")
    def patch(self, customer_id):
        """Change a customer's fields or status (Open, Suspended, Closed)."""
        return service.customer_to_dict(service.update_customer(customer_id, json_body()), detail=True)

    @requires("delete_customer")
    @customer_ns.response(200, "Archived", customer_model)
    @customer_ns.response(409, "Active services, unpaid invoices or uninvoiced transactions remain")
    def delete(self, customer_id):
        """Delete a customer: archives it with all its records (restorable)."""
        return service.customer_to_dict(service.archive_customer(customer_id))


@customer_ns.route("/customer_id/<int:customer_id>/restore")
class CustomerRestore(Resource):
    @requires("delete_customer")
    @customer_ns.response(200, "Restored to its status before archiving", customer_model)
    @customer_ns.response(409, "The customer is not archived")
    def post(self, customer_id):
        """Restore an archived customer."""
        return service.customer_to_dict(service.restore_customer(customer_id))


@customers_ns.route("")
@customers_ns.route("/")
class CustomerList(Resource):
    @requires("view_customer", own="view_own_customer")
    @customers_ns.expect(list_parser)
    @customers_ns.response(200, "Customers", customer_list_model)
    @customers_ns.doc(description=LIST_HELP)
    def get(self):
        """List customers: page, per_page, sort, order, search (name or id), filters."""
        return _customer_list()


# ---------------------------------------------------------------- contacts

@contact_ns.route("/")
class ContactCollection(Resource):
    @requires("create_customer_contact")
    @contact_ns.expect(contact_model)
    @contact_ns.response(201, "Created", contact_model)
    def put(self):
        """Add a contact to a customer."""
        return service.contact_to_dict(service.create_contact(json_body())), 201


@contact_ns.route("/contact_id/<int:contact_id>")
class ContactItem(Resource):
    @requires("view_customer_contact", own="view_own_customer_contact")
    @contact_ns.response(200, "The contact", contact_model)
    def get(self, contact_id):
        """Read a contact."""
        return service.contact_to_dict(service.get_contact(contact_id))

    @requires("update_customer_contact")
    @contact_ns.expect(contact_model)
    @contact_ns.response(200, "Updated", contact_model)
    def patch(self, contact_id):
        """Change a contact (it cannot move to another customer)."""
        return service.contact_to_dict(service.update_contact(contact_id, json_body()))

    @requires("delete_customer_contact")
    @contact_ns.response(200, "Deleted", result_model)
    def delete(self, contact_id):
        """Delete a contact."""
        service.delete_contact(contact_id)
        return {"result": "success"}


@contact_ns.route("/customer_id/<int:customer_id>")
class CustomerContacts(Resource):
    @requires("view_customer_contact", own="view_own_customer_contact")
    @contact_ns.response(200, "The customer's contacts (array)", [contact_model])
    def get(self, customer_id):
        """A customer's contacts."""
        return [service.contact_to_dict(c) for c in service.contacts_of(customer_id)]


# ---------------------------------------------------------------- sites

@site_ns.route("/")
class SiteCollection(Resource):
    @requires("create_customer_site")
    @site_ns.expect(site_model)
    @site_ns.response(201, "Created (plus_code computed from latitude/longitude)", site_model)
    @site_ns.response(502, "Google Maps refused the geocoding request")
    @site_ns.response(503, "Google Maps unreachable")
    def put(self):
        """Add a site; without coordinates the address is geocoded when a Google Maps key is configured."""
        return service.site_to_dict(service.create_site(json_body())), 201


@site_ns.route("/site_id/<int:site_id>")
class SiteItem(Resource):
    @requires("view_customer_site", own="view_own_customer_site")
    @site_ns.response(200, "The site", site_model)
    def get(self, site_id):
        """Read a site."""
        return service.site_to_dict(service.get_site(site_id))

    @requires("update_customer_site")
    @site_ns.expect(site_model)
    @site_ns.response(200, "Updated", site_model)
    def patch(self, site_id):
        """Change a site; new coordinates recompute the Plus Code."""
        return service.site_to_dict(service.update_site(site_id, json_body()))

    @requires("delete_customer_site")
    @site_ns.response(200, "Deleted", result_model)
    def delete(self, site_id):
        """Delete a site."""
        service.delete_site(site_id)
        return {"result": "success"}


@site_ns.route("/customer_id/<int:customer_id>")
class CustomerSites(Resource):
    @requires("view_customer_site", own="view_own_customer_site")
    @site_ns.response(200, "The customer's sites (array)", [site_model])
    def get(self, customer_id):
        """A customer's sites (a JSON array, as the playbooks read it)."""
        return [service.site_to_dict(s) for s in service.sites_of(customer_id)]


@site_ns.route("/geocode")
class SiteGeocode(Resource):
    @requires("create_customer_site", "update_customer_site")
    @site_ns.param("address", "Free-text address (Method 1: address search)")
    @site_ns.param("latitude", "With longitude: reverse-geocode a dragged pin (Method 2)")
    @site_ns.param("longitude", "")
    @site_ns.response(200, "Site fields for the form, with plus_code", site_model)
    @site_ns.response(503, "No Google Maps key configured, or Google unreachable")
    def get(self):
        """Fill the site form from an address or from a map point."""
        check = Checker(request.args.to_dict())
        address = check.string("address", max_length=500)
        lat = check.decimal("latitude", minimum=-90, maximum=90)
        lng = check.decimal("longitude", minimum=-180, maximum=180)
        if not address and (lat is None or lng is None):
            check.error("address", "give an address, or latitude and longitude")
        check.done()
        client = google_maps.client_from_config(current_app.config["CRM"])
        if client is None:
            raise DependencyUnavailable("Geocoding is not configured (google_maps.api_key is empty)")
        found = service.geocode(client, address=address, latitude=lat, longitude=lng)
        return {k: (float(v) if k in ("latitude", "longitude") else v) for k, v in found.items()}


# ---------------------------------------------------------------- attributes

@attribute_ns.route("/")
class AttributeCollection(Resource):
    @requires("create_customer_attribute")
    @attribute_ns.expect(attribute_model)
    @attribute_ns.response(200, "Existing attribute of that name updated", attribute_model)
    @attribute_ns.response(201, "Created", attribute_model)
    @attribute_ns.response(400, "Validation failed, e.g. attribute_value over 150 characters")
    def put(self):
        """Create an attribute, or update the customer's attribute of the same name."""
        attribute, created = service.put_attribute(json_body())
        return service.attribute_to_dict(attribute), 201 if created else 200


@attribute_ns.route("/attribute_id/<int:attribute_id>")
class AttributeItem(Resource):
    @requires("view_customer_attribute", own="view_own_customer_attribute")
    @attribute_ns.response(200, "The attribute", attribute_model)
    def get(self, attribute_id):
        """Read an attribute."""
        return service.attribute_to_dict(service.get_attribute(attribute_id))

    @requires("update_customer_attribute")
    @attribute_ns.expect(attribute_model)
    @attribute_ns.response(200, "Updated", attribute_model)
    def patch(self, attribute_id):
        """Change an attribute's value (or name)."""
        return service.attribute_to_dict(service.update_attribute(attribute_id, json_body()))

    @requires("delete_customer_attribute")
    @attribute_ns.response(200, "Deleted", result_model)
    def delete(self, attribute_id):
        """Delete an attribute."""
        service.delete_attribute(attribute_id)
        return {"result": "success"}


@attribute_ns.route("/customer_id/<int:customer_id>")
class CustomerAttributes(Resource):
    @requires("view_customer_attribute", own="view_own_customer_attribute")
    @attribute_ns.response(200, "The customer's attributes (array)", [attribute_model])
    def get(self, customer_id):
        """A customer's attributes."""
        return [service.attribute_to_dict(a) for a in service.attributes_of(customer_id)]


# ---------------------------------------------------------------- tags

@tag_ns.route("/")
class TagCollection(Resource):
    @requires("create_customer_tag")
    @tag_ns.expect(tag_model)
    @tag_ns.response(201, "Created", tag_model)
    def put(self):
        """Create a tag."""
        return service.tag_to_dict(service.create_tag(json_body())), 201


@tag_ns.route("/tag_id/<int:tag_id>")
class TagItem(Resource):
    @requires("view_customer_tag", own="view_own_customer_tag")
    @tag_ns.response(200, "The tag", tag_model)
    def get(self, tag_id):
        """Read a tag."""
        return service.tag_to_dict(service.get_tag(tag_id))

    @requires("update_customer_tag")
    @tag_ns.expect(tag_model)
    @tag_ns.response(200, "Updated", tag_model)
    def patch(self, tag_id):
        """Change a tag (only the fields sent)."""
        return service.tag_to_dict(service.update_tag(tag_id, json_body()))

    @requires("delete_customer_tag")
    @tag_ns.response(200, "Deleted", result_model)
    def delete(self, tag_id):
        """Delete a tag."""
        service.delete_tag(tag_id)
        return {"result": "success"}


@tag_ns.route("/customer_id/<int:customer_id>")
class CustomerTags(Resource):
    @requires("view_customer_tag", own="view_own_customer_tag")
    @tag_ns.response(200, "The customer's tags, active or not (array)", [tag_model])
    def get(self, customer_id):
        """A customer's tags (each says whether it is active now)."""
        return [service.tag_to_dict(t) for t in service.tags_of(customer_id)]


namespaces = [customer_ns, customers_ns, contact_ns, site_ns, attribute_ns, tag_ns]
