"""API namespaces of the ocs domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
