"""Privacy masks: polygons blacked out of every picture for viewers without the unmask right."""
