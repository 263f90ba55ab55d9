# tests/unit: tests of the synchronisation primitives.
