"""Each page's own address answers with Streamlit's page, told where the server is.

Opened at a page's address below the root (/board, /site?site=5QM: a link, a bookmark, the board pack's
capture), Streamlit's page first looks for its server at that address: the health check there fails with
a 404, and it tries again from the address above 100 ms later (streamlit/streamlit#7074, open). Every
direct visit to a page but the Overview waited those 100-150 ms before its script began.

So the server answers each page's address itself, with Streamlit's own page and one line more: the
address of the server, the page's folder (``window.__streamlit.BACKEND_BASE_URL``, the setting Streamlit
reads for a host that embeds it), which it then uses at once. Behind a proxy that serves the dashboard
under a path of its own, the folder is that path. Should a later Streamlit not read the setting, its page
looks for the server as before: slower, never wrong.

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

INDEX = Path(streamlit.__file__).parent / "static" / "index.html"
# Read by Streamlit's page before its own scripts run (they are modules, which run after the page is parsed).
SERVER_HERE = (
    "<script>window.__streamlit = Object.assign({}, window.__streamlit, "
    '{BACKEND_BASE_URL: new URL(".", window.location.href).href});</script>'
)


@cache
def page_html() -> bytes:
    """Streamlit's page with the server's address set first thing in its head."""
    html = INDEX.read_text()
    if "<head>" not in html:
        return html.encode()  # a Streamlit whose page is made otherwise: served as it is
    return html.replace("<head>", "<head>\n    " + SERVER_HERE, 1).encode()


async def _page(_request: Request) -> Response:
    return Response(page_html(), media_type="text/html", headers={"Cache-Control": "no-cache"})


def routes(addresses: list[str]) -> list[Route]:
    """The routes that answer each page's address (``compare``, ``board``, ...) with ``page_html``, below the
    server's own path where it has one (``server.baseUrlPath``)."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return [Route(f"{prefix}/{address}", _page, methods=["GET", "HEAD"]) for address in addresses]
