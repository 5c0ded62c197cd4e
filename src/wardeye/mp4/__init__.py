"""Fragmented MP4 written by hand: box builders, decoder configuration, fragments. Shared by
recording (segment files) and live view (MSE streams)."""
