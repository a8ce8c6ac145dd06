"""INTERFACES: the `adwatch` command and its terminal views.  They call library
functions; nothing in the library imports them (tests/test_imports.py).
"""
