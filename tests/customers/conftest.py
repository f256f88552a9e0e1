from tests.fixtures.google_maps import google_maps, google_maps_server  # noqa: F401 - fixtures
