"""KEEPING: from a hit to proof a regulator accepts (see DESIGN.md).

Never imports `crawler`: records arrive here as plain dicts.
"""
