"""Video for browsers: compressed packets repackaged (never transcoded) as fMP4 fragments for
Media Source Extensions, live from the camera readers or replayed from recorded segments."""
