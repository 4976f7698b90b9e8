"""Each page's own address answered with Streamlit's page, told where the server is.

Opened at a page's address below the root (/board, /site?site=5QM: a link, a bookmark, the board pack's
capture), Streamlit's page first looks for its server at that address: the health check there fails with
a 404, and it tries again from the address above 100 ms later (streamlit/streamlit#7074, open). Every
direct visit to a page but the Overview waited those 100-150 ms before its script began.

So the server answers each page's address itself (``PageAddresses``, a middleware of the app), with
Streamlit's own page and one line more: the address of the server, the page's folder
(``window.__streamlit.BACKEND_BASE_URL``, the setting Streamlit reads for a host that embeds it), which
it then uses at once. Below the server's own path (``server.baseUrlPath``), or behind a proxy that serves
the dashboard under a path of its own, the folder is that path. Where Streamlit has no page of its own to
serve (a development build), or a later Streamlit does not read the setting, the page looks for the
server as before: slower, never wrong. A Content-Security-Policy that allows inline scripts only by their
hash needs this one's (``script_hash``).

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

# Read by Streamlit's page before its own scripts run (they are modules, which run after the page is parsed).
SCRIPT = (
    "window.__streamlit = Object.assign({}, window.__streamlit, "
    '{BACKEND_BASE_URL: new URL(".", window.location.href).href});'
)


def script_hash() -> str:
    """The script's hash as a Content-Security-Policy names it (``'sha256-…'``)."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()}'"


@cache
def page_html() -> bytes | None:
    """Streamlit's page with the server's address set first thing in its head (None: it has no page)."""
    from streamlit import file_util

    index = Path(file_util.get_static_dir()) / "index.html"
    if not index.is_file():
        return None
    html = index.read_bytes()
    if b"<head>" not in html:
        return None
    return html.replace(b"<head>", b"<head>\n    <script>" + SCRIPT.encode() + b"</script>", 1)


@cache
def _etag() -> str:
    return '"' + hashlib.sha256(page_html() or b"").hexdigest()[:32] + '"'


class PageAddresses:
    """Answer a GET or HEAD of a page's address (``addresses``, below ``server.baseUrlPath``) with
    ``page_html``; pass everything else on to Streamlit."""

    def __init__(self, app: ASGIApp, addresses: list[str]) -> None:
        self.app = app
        self.addresses = frozenset(addresses)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and self._is_page(scope["path"]):
            html = page_html()
            if html is not None:
                await self._answer(html, scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _is_page(self, path: str) -> bool:
        from streamlit import config  # read when asked: the app's own config.toml is loaded by then

        base = (config.get_option("server.baseUrlPath") or "").strip("/")
        prefix = f"/{base}/" if base else "/"
        return path.startswith(prefix) and path[len(prefix) :] in self.addresses

    @staticmethod
    async def _answer(html: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {"Cache-Control": "no-cache", "ETag": _etag()}
        asked = dict(scope.get("headers") or []).get(b"if-none-match", b"").decode()
        if asked and _etag() in [tag.strip() for tag in asked.split(",")]:
            response = Response(status_code=304, headers=headers)
        else:
            response = Response(html, media_type="text/html", headers=headers)
        await response(scope, receive, send)
