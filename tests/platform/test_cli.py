"""The `omnicrm` command as `make run` uses it: migrate, create the admin, seed the demo, show the config."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import TEST_JWT_SECRET

OMNICRM = [sys.executable, "-m", "omnicrm.cli"]


@pytest.fixture
def cli_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMNICRM", "DB_", "REDIS"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", JWT_SECRET=TEST_JWT_SECRET,
               OMNICRM__SECURITY__BCRYPT_ROUNDS="4", OMNICRM_CONFIG=os.path.abspath("crm_config.yaml"),
               PYTHONPATH=os.pathsep.join(["OmniCRM-API", "."]))
    return env


def _run(env, *args):
    result = subprocess.run([*OMNICRM, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_make_run_sequence_builds_a_usable_database(cli_env, database_url):
    assert "up to date" in _run(cli_env, "migrate")
    assert "Created admin boss@example.com" in _run(cli_env, "create-admin", "--email", "boss@example.com",
                                                    "--password", "B0ss-pass!")
    assert "Updated admin boss@example.com" in _run(cli_env, "create-admin", "--email", "boss@example.com",
                                                    "--password", "B0ss-pass!")
    first = _run(cli_env, "seed-demo")
    assert first.startswith("Demo data:")
    assert _run(cli_env, "seed-demo").startswith("Demo data:")  # idempotent
    config = json.loads(_run(cli_env, "show-config"))
    assert config["jwt_secret"] == "***" and config["database_url"].startswith("sqlite:///")

    from omnicrm import create_app, db
    from omnicrm.config import load_config
    app = create_app(load_config(environ=cli_env), database_url=cli_env["DATABASE_URL"])
    try:
        client = app.test_client()
        token = client.post("/crm/auth/login", json={"email": "boss@example.com", "password": "B0ss-pass!"})
        assert token.status_code == 200
        users = client.get("/crm/auth/users", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    finally:
        db.init_engine(database_url)  # the session's app shares the module-level engine
    assert [u["email"] for u in users.get_json()["data"]] == ["boss@example.com"]


def test_bad_configuration_stops_with_the_key_named(cli_env):
    cli_env["JWT_SECRET"] = "short"
    result = subprocess.run([*OMNICRM, "show-config"], env=cli_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "'jwt_secret'" in result.stderr
