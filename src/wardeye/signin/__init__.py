"""Sign-in hardening: throttling and lockout, server-side sessions, second factor, API tokens,
and the Origin check on state-changing requests. Stores only: who may do what stays in
``wardeye.access``; the sign-in flow that ties them together is in ``wardeye.api.auth``."""
