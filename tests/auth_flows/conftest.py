from tests.fixtures.mailjet import mailjet, mailjet_server  # noqa: F401 - fixtures for this package
