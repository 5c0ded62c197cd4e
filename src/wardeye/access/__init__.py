"""Who may do what, in one place: the principal, the permission table and the access policy
that decides and writes the audit entry in the same call. Every route, page, stream, CLI
command and import goes through it."""
