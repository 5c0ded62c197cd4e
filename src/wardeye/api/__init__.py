"""HTTP API (FastAPI; schema at /api/openapi.json). Calls services, never the ORM."""
