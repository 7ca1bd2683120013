"""Test support: databases, a real server on a free port, provisioning of accounts and keys."""
