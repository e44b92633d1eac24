"""Fixtures shared by every test in the repo: `postgres_server`, `postgres_dsn` (a fresh
database per test module) and `postgres_conn`. See holomush_testing.postgres."""

pytest_plugins = ["holomush_testing.pytest_plugin"]
