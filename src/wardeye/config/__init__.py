"""Configuration: pydantic models (extra fields forbidden, every field described) and the YAML
loader that reports errors with line numbers."""

from wardeye.config.loader import load_config, parse_config
from wardeye.config.models import Config

__all__ = ["Config", "load_config", "parse_config"]
