"""The host's PostgreSQL plumbing: the embedded server and per-plugin schema provisioning."""
