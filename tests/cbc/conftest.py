from tests.fixtures.cbc import cbc, cbc_sim  # noqa: F401 - fixtures
