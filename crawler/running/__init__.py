"""RUNNING: crawl and capture jobs: a crawl's process and progress, the schedule,
job history, alerts, capture and dossier runs, clean stopping.
"""
