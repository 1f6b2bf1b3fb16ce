"""Ingest tests run with the network cut: only loopback may be reached.

The suite-wide guard in tests/conftest.py enforces it (connections and name
lookups); the S3 tests talk to a real S3-compatible server the test starts on
127.0.0.1.
"""
