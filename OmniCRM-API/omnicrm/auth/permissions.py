"""The permission catalogue (spec 07 §5.8) and the typical roles (spec 07 §5.9).

The catalogue is synchronised into the database by `omnicrm migrate`; roles are seeded once and then belong to the
operator (editable). Permission names are lower-case `action_resource`; the spec's upper-case spellings
(`CREATE_PROVISION`, `MANAGE_API_KEYS`, `VIEW_CBC_MESSAGE`) are accepted as aliases.
"""
from sqlalchemy import select

from omnicrm.auth.models import Permission, Role

CRUD_RESOURCES = {
    # resource: (label, has a "view own" scope)
    "customer": ("customers", True),
    "customer_site": ("customer sites", True),
    "customer_contact": ("customer contacts", True),
    "customer_attribute": ("customer attributes", True),
    "customer_tag": ("customer tags", True),
    "customer_service": ("customer services", True),
    "customer_activity": ("customer activity log", True),
    "customer_stripe_card": ("customer payment cards", True),
    "customer_transaction": ("customer transactions", True),
    "customer_invoice": ("customer invoices", True),
    "communication": ("communications", True),
    "inventory": ("inventory items", True),
    "inventory_template": ("inventory templates", True),
    "product": ("products", False),
    "cbc_message": ("cell broadcast messages", False),
    "provision": ("provisioning jobs", True),
    "provision_event": ("provisioning events", False),
}

SPECIAL_PERMISSIONS = {
    "admin": "Full administration: users, roles, permissions and every protected endpoint",
    "can_impersonate": "Act temporarily as another user (audited)",
    "manage_api_keys": "Create, edit, regenerate and revoke API keys",
    "cgrates_api_access": "View and edit the CGRateS attribute and filter profiles of a service",
    "view_inventory_secrets": "See secret inventory columns (Ki, OPc, management passwords)",
    # Cell Broadcast two-person rule (spec 05 §8.7): approve or reject another user's alert with one's own TOTP.
    "approve_cbc_message": "Approve or reject cell broadcast alerts created by another user (with own 2FA code)",
}

ALIASES = {"view_service": "view_customer_service", "create_service": "create_customer_service",
           "update_service": "update_customer_service", "delete_service": "delete_customer_service"}


def build_catalogue():
    """Every permission name with its description, in a stable order."""
    catalogue = dict(SPECIAL_PERMISSIONS)
    for resource, (label, has_own) in CRUD_RESOURCES.items():
        for action in ("view", "create", "update", "delete"):
            catalogue[f"{action}_{resource}"] = f"{action.capitalize()} {label}"
        if has_own:
            catalogue[f"view_own_{resource}"] = f"View own {label} (only the user's own customer)"
    return catalogue


CATALOGUE = build_catalogue()


def canonical(name):
    """Normalise a permission name as written anywhere (spec upper-case spellings, aliases)."""
    name = name.strip().lower()
    return ALIASES.get(name, name)


# All a customer (contact-linked) user can use: the endpoints open to customers accept nothing else. Any other
# permission makes a role a staff role, which a contact-linked user may not hold (guards.ensure_customer_user).
SELF_CARE_PERMISSIONS = frozenset([*(p for p in CATALOGUE if p.startswith("view_own_")), "view_product",
                                   "create_provision"])


def staff_permissions(roles):
    """The permissions of `roles` that only a staff user can use."""
    return sorted({p.name for role in roles for p in role.permissions} - SELF_CARE_PERMISSIONS)


def _views(own=False):
    prefix = "view_own_" if own else "view_"
    return [p for p in CATALOGUE if p.startswith(prefix) and (own or not p.startswith("view_own_"))]


DEFAULT_ROLES = {
    "admin": ("System administrator: every permission", ["admin", "can_impersonate", "manage_api_keys"]),
    "Support": ("Customer care: customers, services, provisioning; no money movements",
                [*_views(), "create_customer", "update_customer", "create_customer_contact",
                 "update_customer_contact", "create_customer_site", "update_customer_site",
                 "create_customer_attribute", "update_customer_attribute", "create_customer_tag",
                 "update_customer_tag", "delete_customer_tag", "update_customer_service",
                 "create_provision", "create_communication", "can_impersonate"]),
    "Finance": ("Billing: invoices and transactions, read-only elsewhere",
                ["view_customer", "view_customer_service", "view_product", "view_customer_invoice",
                 "create_customer_invoice", "update_customer_invoice", "view_customer_transaction",
                 "create_customer_transaction", "update_customer_transaction", "view_customer_stripe_card",
                 "view_customer_activity"]),
    "Sales": ("Sales and provisioning: onboard customers and sell products",
              ["view_customer", "create_customer", "update_customer", "view_customer_contact",
               "create_customer_contact", "update_customer_contact", "view_customer_site", "create_customer_site",
               "update_customer_site", "view_customer_service", "create_customer_service", "view_product",
               "view_inventory", "update_inventory", "view_inventory_template", "view_provision",
               "create_provision", "view_provision_event", "view_customer_transaction",
               "view_customer_activity"]),
    "Auditor": ("Read-only: every view permission, nothing else", _views()),
    "Customer": ("Self-care users: only their own customer's records",
                 [*_views(own=True), "view_product", "create_provision"]),
    # Held only by provisioning job tokens, limited to the job's customer (omnicrm.provisioning.job_tokens): every
    # CRM call of the reference plays, including the SIM secrets (Ki/OPc) the HSS needs.
    "Provisioning": ("Provisioning job tokens: what the playbooks call, for the job's customer only",
                     ["view_product", "view_customer", "view_customer_site", "view_customer_contact",
                      "view_customer_service", "create_customer_service", "update_customer_service",
                      "delete_customer_service", "view_inventory", "update_inventory", "view_inventory_secrets",
                      "view_customer_transaction", "create_customer_transaction", "update_customer_transaction",
                      "create_provision", "create_communication", "cgrates_api_access",
                      "view_customer_stripe_card"]),
    # The role to whitelist the OCS host with: its *http_post auto-renewal callbacks
    # (/crm/provision/simple_provision_addon/...) start add-on provisioning, and its balance threshold callbacks
    # (/crm/ocs/balance_low, /crm/ocs/balance_expired, /crm/hotspot_topup/balance_event/...) send the balance
    # e-mails; nothing else.
    # Cell Broadcast (spec 05 §8.10 example roles): creators write alerts, approvers are the second person.
    "CBC Message Creator": ("Cell Broadcast: compose, update and stop alerts",
                            ["view_cbc_message", "create_cbc_message", "update_cbc_message",
                             "delete_cbc_message"]),
    "CBC Message Approver": ("Cell Broadcast: review and approve or reject alerts (second person, own TOTP)",
                             ["view_cbc_message", "approve_cbc_message"]),
    "OCS Callback": ("CGRateS *http_post callbacks: auto-renewal provisioning and balance alert e-mails",
                     ["create_provision", "create_communication"]),
}


def sync_catalogue(session):
    """Insert missing permissions and, on first run, the default roles. Idempotent."""
    existing = {p.name: p for p in session.scalars(select(Permission))}
    for name, description in CATALOGUE.items():
        if name not in existing:
            existing[name] = Permission(name=name, description=description)
            session.add(existing[name])
    session.flush()
    roles = {r.name for r in session.scalars(select(Role))}
    for name, (description, permissions) in DEFAULT_ROLES.items():
        if name not in roles:
            session.add(Role(name=name, description=description,
                             permissions=[existing[p] for p in dict.fromkeys(permissions)]))
    session.flush()
