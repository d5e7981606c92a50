"""Small helpers every part of the package shares: paths, one-line text, units, OS isolation."""
