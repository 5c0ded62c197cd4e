from disk_full_helpers import catalog, real_segments, small_disk

__all__ = ["catalog", "real_segments", "small_disk"]
