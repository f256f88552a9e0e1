"""Loads `crm_config.yaml`, applies environment overrides and validates it once at start-up.

The YAML in the repository holds safe defaults; secrets and deployment URLs come from the environment
(`.env` is read when present), so one file serves every environment.
"""
import ipaddress
import json
import logging
import os
import re
from pathlib import Path

import yaml
from dotenv import load_dotenv

from omnicrm.common.emails import split_emails

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = REPO_ROOT / "crm_config.yaml"

MAILJET_TEMPLATE_KEYS = (
    "api_crmCommunicationCustomerWelcome",
    "api_crmCommunicationCustomerInvoice",
    "api_crmCommunicationCustomerInvoiceReminder",
    "api_crmCommunicationUserWelcome",
    "api_crmCommunicationUserPasswordReset",
    "api_crmCommunicationUserPasswordResetSuccess",
    "api_crmCommunicationUserPasswordChange",
    "api_crmCommunicationEmailVerification",
    "api_crmCommunicationsBalanceExpired",
    "api_crmCommunicationsBalanceLow",
)
# Templates beyond the spec's ten: a configuration without them still starts (the e-mail goes as plain text).
OPTIONAL_MAILJET_TEMPLATE_KEYS = ("api_crmCommunicationsServiceExpiring",)

# Environment variable -> dotted config key. Values are parsed as YAML scalars/collections.
ENV_OVERRIDES = {
    "DB_SERVER": "database.server",
    "DB_USERNAME": "database.username",
    "DB_PASSWORD": "database.password",
    "DB_NAME": "database.name",
    "JWT_SECRET": "jwt_secret",
    "OMNICRM_ENCRYPTION_KEY": "encryption_key",
    "REDIS_URL": "redis.url",
    "CGRATES_ENDPOINT": "ocs.cgrates",
    "CRM_BASE_URL": "crm.base_url",
    "MAILJET_API_KEY": "mailjet.api_key",
    "MAILJET_API_SECRET": "mailjet.api_secret",
    "MAILJET_API_URL": "mailjet.api_url",
    "STRIPE_SECRET_KEY": "stripe.secret_key",
    "STRIPE_PUBLISHABLE_KEY": "stripe.publishable_key",
    "STRIPE_API_BASE": "stripe.api_base",
    "STRIPE_JS_URL": "stripe.js_url",
    "STRIPE_WEBHOOK_SECRET": "stripe.webhook_secret",
    "GOOGLE_MAPS_API_KEY": "google_maps.api_key",
    "SMSC_API_KEY": "smsc.api_key",
    "OMNICRM_API_KEYS": "api_keys",
    "OMNICRM_IP_WHITELIST": "ip_whitelist",
    "PROVISIONING_FAILURE_LIST": "provisioning.failure_list",
    "OMNICRM_METRICS_TOKEN": "monitoring.metrics_token",
    "OMNICRM_LOG_FORMAT": "monitoring.log_format",
    "CBC_URL": "cbc_url",
}
# Any key can also be overridden generically: OMNICRM__SECTION__KEY=value.
GENERIC_PREFIX = "OMNICRM__"


log = logging.getLogger(__name__)


class ConfigError(Exception):
    """Raised at start-up with the offending key so the operator can fix the file."""

    def __init__(self, key, problem):
        super().__init__(f"crm_config.yaml: '{key}' {problem}")
        self.key = key


class Config(dict):
    """The validated configuration: a plain dict with dotted-key lookup."""

    def get_path(self, dotted, default=None):
        node = self
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def database_url(self):
        url = os.environ.get("DATABASE_URL")
        if url:
            return url
        db = self["database"]
        if db.get("server"):
            password = db.get("password") or ""
            return (f"mysql+pymysql://{db['username']}:{password}@{db['server']}:{db.get('port', 3306)}"
                    f"/{db.get('name') or 'omnicrm'}?charset=utf8mb4")
        path = Path(db.get("sqlite_path") or "var/omnicrm.db")
        if not path.is_absolute():
            path = REPO_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"

    def public_view(self):
        """The configuration with every secret masked, for `omnicrm show-config`."""
        return _mask(self)


SECRET_WORDS = ("password", "secret", "api_key", "jwt_secret", "encryption_key", "token")


def _mask(node, key=""):
    if isinstance(node, dict):
        if key == "api_keys":
            return {(k[:6] + "…"): _mask(v) for k, v in node.items()}
        return {k: _mask(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask(v) for v in node]
    if isinstance(node, str) and node and any(w in key for w in SECRET_WORDS):
        return "***"
    return node


def _set_path(data, dotted, value):
    """Set a dotted key; each part matches an existing key case-insensitively (env names are upper-case)."""
    parts = dotted.split(".")
    node = data
    for index, part in enumerate(parts):
        existing = next((k for k in node if isinstance(k, str) and k.lower() == part.lower()), part.lower())
        if index == len(parts) - 1:
            node[existing] = value
        else:
            if not isinstance(node.get(existing), dict):
                node[existing] = {}
            node = node[existing]


def _parse_env_value(raw):
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def load_config(path=None, environ=None):
    """Read the YAML, overlay the environment, validate, and return a Config."""
    environ = os.environ if environ is None else environ
    if environ is os.environ:
        load_dotenv(REPO_ROOT / ".env", override=False)
    path = Path(path or environ.get("OMNICRM_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), f"is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "must be a mapping of sections")

    for env_name, dotted in ENV_OVERRIDES.items():
        if environ.get(env_name) not in (None, ""):
            raw = environ[env_name]
            value = raw if dotted in ("jwt_secret", "encryption_key", "database.password") else _parse_env_value(raw)
            _set_path(data, dotted, value)
    for env_name, raw in environ.items():
        if env_name.startswith(GENERIC_PREFIX):
            dotted = env_name[len(GENERIC_PREFIX):].replace("__", ".")
            _set_path(data, dotted, _parse_env_value(raw))

    config = Config(data)
    validate(config)
    return config


REQUIRED_SECTIONS = ("database", "service_types", "mailjet", "provisioning", "invoice", "crm", "ocs", "smsc",
                     "jwt_secret", "stripe", "api_keys", "ip_whitelist")


def _ip_network(key, value):
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise ConfigError(key, f"has '{value}', which is not an IP address or CIDR range") from None


def _require_int(config, dotted, minimum=0):
    value = config.get_path(dotted)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(dotted, f"must be a whole number >= {minimum}, got {value!r}")


def _validate_monitoring(config):
    monitoring = config.setdefault("monitoring", {})
    monitoring.setdefault("metrics_allowed_ips", ["127.0.0.1", "::1"])
    monitoring.setdefault("metrics_token", "")
    monitoring.setdefault("log_format", "text")
    if monitoring["log_format"] not in ("text", "json"):
        raise ConfigError("monitoring.log_format", f"must be text or json, got {monitoring['log_format']!r}")
    for value in monitoring["metrics_allowed_ips"] or ():
        _ip_network("monitoring.metrics_allowed_ips", value)


def validate(config):
    """Check every value the code relies on; raise ConfigError naming the first bad key."""
    for section in REQUIRED_SECTIONS:
        if section not in config:
            raise ConfigError(section, "is missing")
    config.setdefault("security", {})
    config.setdefault("redis", {"url": ""})
    config.setdefault("google_maps", {"api_key": ""})
    config.setdefault("hss", {"hss_peers": [], "apn_list": ""})
    _validate_monitoring(config)
    security_defaults = {"access_token_minutes": 15, "refresh_token_days": 30, "lockout_attempts": 5,
                         "lockout_minutes": 30, "login_rate_limit_per_minute": 20, "bcrypt_rounds": 12,
                         "impersonation_minutes": 60}
    for key, value in security_defaults.items():
        config["security"].setdefault(key, value)
        _require_int(config, f"security.{key}", minimum=4 if key == "bcrypt_rounds" else 1)
    # 2FA imposed on every staff user, or on holders of the listed roles (spec 01 §2.1); customers never.
    config["security"].setdefault("two_factor_required", False)
    if not isinstance(config["security"]["two_factor_required"], bool):
        raise ConfigError("security.two_factor_required", "must be true or false")
    roles = config["security"].setdefault("two_factor_required_roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise ConfigError("security.two_factor_required_roles", "must be a list of role names")

    secret = config.get("jwt_secret")
    if not isinstance(secret, str) or len(secret) < 64:
        raise ConfigError("jwt_secret", "must be a random string of at least 64 characters (set JWT_SECRET; "
                                        "generate one: python3 -c \"import secrets; print(secrets.token_hex(32))\")")

    encryption_key = config.get("encryption_key") or None
    if encryption_key is not None and (not isinstance(encryption_key, str) or len(encryption_key) < 32
                                       or encryption_key == secret):
        raise ConfigError("encryption_key", "must be a random string of at least 32 characters, not the jwt_secret "
                                            "(set OMNICRM_ENCRYPTION_KEY)")
    config["encryption_key"] = encryption_key

    types = config["service_types"]
    if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
        raise ConfigError("service_types", "must be a non-empty list of names")

    base_url = config.get_path("crm.base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ConfigError("crm.base_url", "must be an http(s) URL")
    config["crm"]["base_url"] = base_url.rstrip("/")
    config["crm"]["trusted_proxies"] = [
        _ip_network("crm.trusted_proxies", p) for p in (config["crm"].get("trusted_proxies") or [])]
    config["crm"]["cors_allowed_origins"] = _validate_origins(config["crm"].get("cors_allowed_origins"))

    cgrates = config.get_path("ocs.cgrates")
    if not isinstance(cgrates, str) or ":" not in cgrates or "/" in cgrates:
        raise ConfigError("ocs.cgrates", "must be host:port without scheme, e.g. localhost:2080")

    failure_list = config.get_path("provisioning.failure_list")
    if isinstance(failure_list, str):
        failure_list = [a.strip() for a in failure_list.split(",") if a.strip()]
    if not isinstance(failure_list, list):
        raise ConfigError("provisioning.failure_list", "must be a list of e-mail addresses")
    valid, invalid = split_emails(failure_list)
    if invalid:  # one bad entry must not silence the others: warn once, keep the valid ones
        log.warning("provisioning.failure_list: ignoring invalid e-mail address(es) %s; provisioning failure "
                    "e-mails go to %s", ", ".join(invalid), ", ".join(valid) or "nobody")
    config["provisioning"]["failure_list"] = valid
    config["provisioning"].setdefault("support_list", ["support@example.com"])
    config["provisioning"].setdefault("playbook_dir", "Provisioners/plays")
    config["provisioning"].setdefault("timeout_seconds", 900)
    config["provisioning"].setdefault("workers", 2)
    _require_int(config, "provisioning.timeout_seconds", minimum=1)
    _require_int(config, "provisioning.workers", minimum=1)

    invoice = config["invoice"]
    if not isinstance(invoice, dict) or not isinstance(invoice.get("template_filename"), str) \
            or not invoice["template_filename"].strip() or "/" in invoice["template_filename"]:
        raise ConfigError("invoice.template_filename", "must name a file in the invoice templates folder")
    for key in ("template_dir", "company_name", "company_address", "company_email", "company_phone",
                "company_tax_id", "payment_details", "logo", "currency_symbol"):
        invoice[key] = invoice.get(key) or ""
        if not isinstance(invoice[key], str):
            raise ConfigError(f"invoice.{key}", "must be text")

    mailjet = config["mailjet"]
    for key in MAILJET_TEMPLATE_KEYS + OPTIONAL_MAILJET_TEMPLATE_KEYS:
        block = mailjet.get(key) or mailjet.get(key.replace("api_", "api.", 1))
        if block is None and key in OPTIONAL_MAILJET_TEMPLATE_KEYS:
            continue
        if not isinstance(block, dict):
            raise ConfigError(f"mailjet.{key}", "is missing (from_email, from_name, template_id, subject)")
        for field in ("from_email", "from_name", "template_id", "subject"):
            if field not in block:
                raise ConfigError(f"mailjet.{key}.{field}", "is missing")
        if not isinstance(block["template_id"], int):
            raise ConfigError(f"mailjet.{key}.template_id", "must be a whole number")
        mailjet[key] = block

    suffix = config.get_path("stripe.statement_descriptor_suffix") or ""
    if len(suffix) > 22:
        raise ConfigError("stripe.statement_descriptor_suffix", "must be at most 22 characters")

    config["api_keys"] = _validate_api_keys(config.get("api_keys"))
    config["ip_whitelist"] = _validate_ip_whitelist(config.get("ip_whitelist"))


def _validate_origins(origins):
    """crm.cors_allowed_origins: exact browser origins (scheme://host[:port]) allowed to call the API."""
    if isinstance(origins, str):
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    if origins is None:
        return []
    if not isinstance(origins, list):
        raise ConfigError("crm.cors_allowed_origins", "must be a list of origins like https://portal.example.com")
    for origin in origins:
        if not isinstance(origin, str) or not re.fullmatch(r"https?://[^/\s*]+", origin):
            raise ConfigError("crm.cors_allowed_origins", f"{origin!r} is not an origin (scheme://host[:port], "
                                                          "no path, no wildcard)")
    return origins


def _validate_api_keys(api_keys):
    if api_keys in (None, ""):
        return {}
    if isinstance(api_keys, str):
        api_keys = json.loads(api_keys)
    if not isinstance(api_keys, dict):
        raise ConfigError("api_keys", "must map each key to {roles: [...], ips: [...]}")
    result = {}
    for key, spec in api_keys.items():
        label = f"api_keys.{str(key)[:6]}…"
        if len(str(key)) < 32:
            raise ConfigError(label, "is shorter than 32 characters")
        spec = spec or {}
        roles = spec.get("roles") or []
        if not isinstance(roles, list) or not roles:
            raise ConfigError(f"{label}.roles", "must list at least one role")
        ips = spec.get("ips")
        networks = None if ips is None else [_ip_network(f"{label}.ips", ip) for ip in ips]
        result[str(key)] = {"roles": roles, "ips": networks, "description": spec.get("description", "")}
    return result


def _validate_ip_whitelist(whitelist):
    """Every entry must name its roles: a whitelisted network gets no access by default (issue #11 finding 2)."""
    if whitelist in (None, ""):
        return []
    if isinstance(whitelist, list):
        whitelist = {entry: {} for entry in whitelist}
    if not isinstance(whitelist, dict):
        raise ConfigError("ip_whitelist", "must map an IP or CIDR to {roles: [...]}")
    entries = []
    for address, spec in whitelist.items():
        network = _ip_network(f"ip_whitelist.{address}", address)
        roles = (spec or {}).get("roles") if isinstance(spec, dict) else None
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r for r in roles):
            raise ConfigError(f"ip_whitelist.{address}.roles",
                              "must list the roles this network acts with (an entry without roles is refused)")
        entries.append({"network": network, "roles": roles})
    return entries
