"""API namespaces of the provisioning domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
