from onboarding_helpers import closed_port, http_server, silent_port, web_dir

__all__ = ["closed_port", "http_server", "silent_port", "web_dir"]
