"""The tests of dezero.functions, one module per family of dezero/functions/ (test_<family>.py, each
with its SPECS for the harness and the family's behaviour, error and regression tests), and the
registry that gathers the specs (specs.py) and checks them against the package and the docs
(test_registry.py)."""
