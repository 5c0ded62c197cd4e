"""Sign-in hardening: throttling and lockout, server-side sessions, second factor, API tokens."""
