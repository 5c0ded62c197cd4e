"""HTTP test helpers. Browsers send ``Origin`` with every state-changing request, and WardEye
refuses cookie-authenticated writes without it: test clients send what a same-site page would."""

from __future__ import annotations

SAME_ORIGIN = {"origin": "http://testserver"}  # FastAPI's TestClient talks to this host
