"""Input and output: loading images and documents safely, writing files atomically, drawing the annotated image."""

# Resolution PDF pages are rendered at (--dpi): here, so the CLI need not load OpenCV to show it.
DEFAULT_DPI = 200
