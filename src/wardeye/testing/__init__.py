"""Test harness shared by tests and benchmarks: real RTSP camera simulator, prepared footage,
a real PostgreSQL server. Nothing here is imported by the running product."""
