from disk_full_helpers import big_small_disk, catalog, real_segments, small_disk

__all__ = ["big_small_disk", "catalog", "real_segments", "small_disk"]
