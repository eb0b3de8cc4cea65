"""Helpers shared by the services' tests and the benchmark (never shipped in images)."""
