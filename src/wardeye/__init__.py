"""WardEye: community security-camera network for local police."""

__version__ = "0.1.0"
