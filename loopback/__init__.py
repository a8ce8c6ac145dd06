"""Servers on 127.0.0.1 for as long as a ``with`` block runs: the lifecycle
shared by the demo web (``demo.server``), the demo time-stamp authority
(``evidence.tsa``) and the throw-away redis-server (``crawler.finding.frontier``).

``loopback.server``: the base class (start, stop once, ``with``), an
``http.server`` in a daemon thread, a free port, a program's serve-until-Ctrl-C.
``loopback.child``: a server in a child process of its own session that dies
with its parent, stopped with a timeout.

Standard library only, and nothing from crawler/, evidence/ or demo/: demo/
stands for the outside world and imports neither of the others, so what all
three share lives beside them.
"""
