"""Puts services/worker on sys.path (pytest's rootdir-relative conftest insertion)."""
