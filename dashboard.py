"""The pilot-site tracker: entry point. Run with ``streamlit run dashboard.py``.

Streamlit uses this file in two ways. `streamlit run` finds the app to serve in it (``app``, at the end:
it reads the file for an ``st.App``, which its server then imports), whose start-up gets the server ready
for its first visitor while that visitor's browser is still loading (pages/_startup.py). Then, for every
page a visitor opens, Streamlit runs the file as the app's script (``main``): the navigation over the
pages in pages/.
"""

import streamlit as st

from pages._menu import PAGES, addresses

# Two gaps in Streamlit's widgets that no theme option reaches, each mended by a rule aimed at that widget
# alone (reported upstream: README, "Accessibility statement"):
# - target size (WCAG 2.2, 2.5.8): the date input draws its day and month as 18 × 20 px targets, under 24 × 24;
# - focus visible (2.4.7): a focused page link (the sidebar's menu, st.page_link) only tints its background
#   (1.1:1), so a keyboard user cannot see where they are; an outline in the link's own colour.
WIDGET_CSS = """<style>
[data-testid="stDateInputField"] [role="spinbutton"] {min-width: 24px; min-height: 24px; line-height: 24px;
  text-align: center;}
[data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stPageLink-NavLink"]:focus-visible {
  outline: 2px solid currentColor; outline-offset: 1px;}
</style>"""


def main() -> None:
    """One run of the app's script: the chosen page, inside the shared sidebar and checks."""
    from tracker.demo import build_default_soon

    build_default_soon()  # a first start the server's start-up did not begin (AppTest): it builds meanwhile

    from pages import _shared  # after the build has started
    from tracker.errors import TrackerError

    # The tab's icon an emoji, which Streamlit draws itself: for a Material icon it fetches a picture from
    # Google's servers, a request to a third party from every visit (and a failed one on a closed network).
    st.set_page_config(page_title="Pilot-site tracker", page_icon="📊", layout="wide")
    pages = {
        name: st.Page(
            f"pages/{name}.py",
            title=title,
            icon=icon,
            default=i == 0,
            url_path=None if i == 0 else name,  # the first at the root
            visibility=visibility,
        )
        for i, (name, title, icon, visibility) in enumerate(PAGES)
    }
    board = pages["board"]

    # With sign-in configured (a shared server), an anonymous visitor sees the sign-in page and nothing else.
    anonymous = _shared.needs_sign_in()
    page = st.navigation(list(pages.values()), position="hidden" if anonymous else "sidebar")
    if anonymous:
        _shared.sign_in_page()
    _shared.identity()  # stops here for a signed-in account that is not on the allow-list
    _shared.routing.active = True
    st.html(WIDGET_CSS)
    try:
        with _shared.one_connection():  # the run's queries share one connection, opened by the first
            if page is not board:  # the board reads its view from the URL alone and draws no sidebar
                _shared.sidebar_filters()
            page.run()
    except TrackerError as exc:  # a busy or missing database: say so plainly
        _shared.stop_with(exc)
    finally:
        _shared.routing.active = False


if __name__ == "__main__":  # run as the app's script (Streamlit names every script run __main__)
    main()
else:  # imported by `streamlit run dashboard.py`, once, to find the app it serves
    from starlette.middleware import Middleware

    from pages._address import PageAddresses
    from pages._startup import get_ready

    # each page's address answered by the server itself, so that the page finds the server at once
    app = st.App(__file__, lifespan=get_ready, middleware=[Middleware(PageAddresses, addresses=addresses())])
