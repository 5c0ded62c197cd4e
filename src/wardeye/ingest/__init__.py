"""Camera ingest: one reader per camera stream, fanning compressed packets out to sinks
(recording, live view, analytics). Readers reconnect with backoff and keep health figures."""
