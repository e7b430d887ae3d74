"""Wiring: settings, database engine, FastAPI app factory and the `volcred` CLI.

The only package that knows all four domain packages (catalogue, issuers, credentials, verify).
"""
