"""Shared test fixtures for the HoloMUSH monorepo (test-only code)."""
