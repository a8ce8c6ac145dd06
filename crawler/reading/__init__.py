"""READING: what an ad says: images checked and read (frames, OCR, look-alike
letters) and every record scored (detect: rules, contacts, the learned model).
"""
