"""The artifact checker: read a saved model without running it, reload it in a sandboxed child,
and compare its outputs (`verification.verify_file`; see the map in `autograder`)."""
