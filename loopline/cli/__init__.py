"""The ``loopline`` command line."""
