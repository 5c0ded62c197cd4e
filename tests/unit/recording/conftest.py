from recording_support import catalog

__all__ = ["catalog"]
