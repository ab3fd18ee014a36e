"""Input and output: loading images safely, writing files atomically, drawing the annotated image."""
