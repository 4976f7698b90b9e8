"""The pilot-site tracker: entry point. Run with ``streamlit run dashboard.py``."""

import streamlit as st

from pages import _shared
from tracker.errors import TrackerError

st.set_page_config(page_title="Pilot-site tracker", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]

page = st.navigation(PAGES)
try:
    _shared.sidebar_filters()
    page.run()
except TrackerError as exc:  # a busy or missing database: say so plainly
    _shared.stop_with(exc)
