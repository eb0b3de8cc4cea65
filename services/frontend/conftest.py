"""Puts services/frontend on sys.path (pytest's rootdir-relative conftest insertion)."""
