"""Registry services: areas, cameras and users, with the validation rules people rely on.
The API and CLI call these; they never touch the ORM themselves."""
