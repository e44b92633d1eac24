"""Fixtures shared by every test in the repo."""
