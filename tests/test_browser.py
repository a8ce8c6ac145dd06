"""Smoke test: Playwright drives Debian's chromium (never a downloaded browser)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import sync_playwright

from crawler import settings

PAGE = """<html><body><div id=out></div><script>
document.getElementById('out').textContent = '当天' + '停催';
</script></body></html>""".encode()


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.mark.browser
def test_debian_chromium_renders_script_text():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        options = dict(settings.PLAYWRIGHT_LAUNCH_OPTIONS)
        assert options["executable_path"] == "/usr/bin/chromium"
        with sync_playwright() as p:
            browser = p.chromium.launch(**options)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            assert page.text_content("#out") == "当天停催"
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
