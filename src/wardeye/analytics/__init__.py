"""Analytics: motion, object detection and tracking on decoded frames.

Pure library code: worker processes feed it frames; it never touches the recorder, so a slow or
crashed detector cannot stop recording.
"""
