"""Counters for operators, in Prometheus' format (served at /_escala/metrics by the server).

The core counts what happens (sign-ins by outcome, committed writes); the server adds request
times and reads the number of live sessions from the database at each scrape. One registry
of our own, so nothing else in the process (or a test importing twice) can collide with it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()
SIGN_INS = Counter("escala_sign_ins", "Sign-in attempts by method (password, sso) and outcome", ["method", "outcome"],
                   registry=REGISTRY)
WRITES = Counter("escala_writes", "Committed writes (forms, buttons, imports, CLI)", registry=REGISTRY)
ACTIVE_SESSIONS = Gauge("escala_active_sessions", "Browser sessions neither signed out nor idle", registry=REGISTRY)
REQUEST_SECONDS = Histogram("escala_http_request_seconds", "Time to answer an HTTP request", ["kind"],
                            registry=REGISTRY)
for method, outcome in (("password", "success"), ("password", "failure"), ("password", "delayed"),
                        ("sso", "success"), ("sso", "failure")):
    SIGN_INS.labels(method, outcome)  # present at 0 from the start, so rates work from the first scrape


def exposition() -> bytes:
    """Everything above in Prometheus' text format."""
    return generate_latest(REGISTRY)
