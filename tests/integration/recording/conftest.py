from recorder_support import catalog

__all__ = ["catalog"]
