"""Evidence dossiers: what adwatch hands a regulator about one case.

Among the modules here, ``pdf`` renders a dossier's HTML as PDF/A-3b with the
evidence files embedded, and ``sign`` signs it (PAdES B-T) and checks such
signatures.  This package imports nothing itself: import the module you need,
so that loading one does not pull in WeasyPrint, pikepdf and pyHanko together.
"""
