"""crm_config.yaml loading, environment overrides and start-up errors that name the bad key."""
import pytest

from omnicrm.config import ConfigError, load_config
from tests.conftest import TEST_JWT_SECRET, make_config


def test_repository_defaults_load_with_a_secret_from_the_environment():
    config = make_config()
    assert config["service_types"][:2] == ["omnicharge", "mobile"]
    assert config.get_path("mailjet.api_crmCommunicationUserPasswordReset.template_id") == 6735666
    assert config.get_path("ocs.cgrates") == "localhost:2080"
    assert config.database_url.startswith("sqlite:///")
    assert config["api_keys"] == {} and config["ip_whitelist"] == []


def test_missing_jwt_secret_names_the_key():
    with pytest.raises(ConfigError) as error:
        load_config(environ={})
    assert error.value.key == "jwt_secret"


@pytest.mark.parametrize("env, key", [
    ({"OMNICRM__SECURITY__LOCKOUT_ATTEMPTS": "many"}, "security.lockout_attempts"),
    ({"CGRATES_ENDPOINT": "http://localhost:2080/jsonrpc"}, "ocs.cgrates"),
    ({"CRM_BASE_URL": "localhost:5000"}, "crm.base_url"),
    ({"OMNICRM_API_KEYS": '{"short": {"roles": ["admin"]}}'}, "api_keys.short…"),
    ({"OMNICRM_IP_WHITELIST": '{"not-an-ip": {"roles": ["admin"]}}'}, "ip_whitelist.not-an-ip"),
    ({"OMNICRM__STRIPE__STATEMENT_DESCRIPTOR_SUFFIX": "X" * 23}, "stripe.statement_descriptor_suffix"),
    ({"OMNICRM__MAILJET__API_CRMCOMMUNICATIONUSERWELCOME__TEMPLATE_ID": "abc"},
     "mailjet.api_crmCommunicationUserWelcome.template_id"),
])
def test_invalid_values_name_the_key(env, key):
    with pytest.raises(ConfigError) as error:
        load_config(environ={"JWT_SECRET": TEST_JWT_SECRET, **env})
    assert error.value.key == key
    assert key in str(error.value)


def test_generic_override_matches_keys_case_insensitively():
    config = make_config(OMNICRM__PROVISIONING__TIMEOUT_SECONDS="30", CGRATES_ENDPOINT="10.0.0.5:2080",
                         OMNICRM__OCS__OCSTENANT="tenant.example")
    assert config.get_path("provisioning.timeout_seconds") == 30
    assert config.get_path("ocs.ocsTenant") == "tenant.example"
    assert config.get_path("ocs.cgrates") == "10.0.0.5:2080"


def test_mariadb_url_from_database_section(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = make_config(DB_SERVER="db", DB_USERNAME="omnitouch", DB_PASSWORD="s3cret")
    assert config.database_url == "mysql+pymysql://omnitouch:s3cret@db:3306/omnicrm?charset=utf8mb4"
    monkeypatch.setenv("DATABASE_URL", "mysql+pymysql://u:p@h/x")
    assert config.database_url == "mysql+pymysql://u:p@h/x"


def test_api_keys_and_whitelist_forms():
    config = make_config(OMNICRM_API_KEYS='{"%s": {"roles": ["admin"]}}' % ("a" * 32),
                         OMNICRM_IP_WHITELIST='{"10.0.0.0/24": {"roles": ["Auditor"]}, "192.168.1.100": '
                                              '{"roles": ["admin"]}}')
    assert config["api_keys"]["a" * 32]["ips"] is None  # ips is optional: any address
    assert [(str(e["network"]), e["roles"]) for e in config["ip_whitelist"]] == [
        ("10.0.0.0/24", ["Auditor"]), ("192.168.1.100/32", ["admin"])]


def test_show_config_masks_secrets():
    view = make_config(STRIPE_SECRET_KEY="sk_test_123", MAILJET_API_SECRET="m").public_view()
    assert view["jwt_secret"] == "***" and view["stripe"]["secret_key"] == "***"
    assert view["mailjet"]["api_secret"] == "***"


def test_jwt_secret_change_invalidates_tokens(app, client):
    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login
    token = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"]
    app.config["JWT_SECRET_KEY"] = "z" * 64
    try:
        assert client.get("/crm/auth/me", headers=bearer(token)).status_code == 401
    finally:
        app.config["JWT_SECRET_KEY"] = TEST_JWT_SECRET
    assert client.get("/crm/auth/me", headers=bearer(token)).status_code == 200
