from retention_catalog import add_segment, db, recordings

__all__ = ["add_segment", "db", "recordings"]
