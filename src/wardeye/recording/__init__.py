"""Recording: remux camera packets into MP4 segments, index them and their gaps, keep the disk
within its limits (retention), and report per-camera health."""
