"""The floor page: a bare Streamlit page that draws what a dashboard page drew, from data already in memory.

Run by benchmarks/bench_scale.py (under AppTest and in Chromium) with FLOOR_SPEC naming a JSON file
that maps each page to its elements: in Chromium each page at the dashboard page's address (the first
at the root, each other at /NAME), served as the dashboard serves its pages, under AppTest
``?page=NAME`` choosing one. Each element is one of:
["metric"], ["chart", rows], ["table", rows, columns], ["text"], or an input
(["selectbox", options], ["multiselect", options], ["text_input"], ["number_input"], ["date_input"],
["button"], ["download_button"]). It has no database, no cache, no
sidebar and no menu: what is left is Streamlit's own cost of drawing the same things at the same address.
"""

from __future__ import annotations

import json
import os

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st


@st.cache_resource
def read_spec(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


def spec() -> dict:
    return read_spec(os.environ["FLOOR_SPEC"])


@st.cache_resource
def frame(rows: int, columns: int) -> pd.DataFrame:
    rng = np.random.default_rng(rows * 1000 + columns)
    data = {f"c{i}": rng.integers(0, 1000, rows) for i in range(max(2, columns - 1))}
    data["name"] = [f"Site {i:05d}" for i in range(rows)]
    return pd.DataFrame(data)


def options(count: int) -> list[str]:
    """``count`` options as long as a site's name and code."""
    return [f"Site number {n:05d} (S{n:05d})" for n in range(count)]


def draw(elements: list[list]) -> None:
    st.title("Floor page")
    for i, element in enumerate(elements):
        kind = element[0]
        if kind == "selectbox":
            st.selectbox("A choice", options(element[1]), key=f"w{i}")
        elif kind == "multiselect":
            st.multiselect("Choices", options(element[1]), key=f"w{i}")
        elif kind == "text_input":
            st.text_input("Some text", key=f"w{i}")
        elif kind == "number_input":
            st.number_input("A number", 1, 10, 1, key=f"w{i}")
        elif kind == "date_input":
            st.date_input("A date", key=f"w{i}")
        elif kind == "button":
            st.button("A button", key=f"w{i}")
        elif kind == "download_button":
            st.download_button("Download", b"a,b\n1,2\n", file_name="floor.csv", key=f"w{i}")
        elif kind == "metric":
            st.metric("A figure", "1,234", "+5")
        elif kind == "text":
            st.write("Some text of about the length of a caption on a dashboard page.")
        elif kind == "chart":
            st.altair_chart(
                alt.Chart(frame(max(1, element[1]), 2)).mark_line().encode(x="c0:Q", y="c1:Q"), width="stretch"
            )
        elif kind == "table":
            st.dataframe(frame(max(1, element[1]), element[2]), hide_index=True, width="stretch")


def page(name: str, elements: list[list], first: bool) -> st.Page:
    """The floor of one page, at the page's own address (the first at the root, each other at /NAME)."""
    return st.Page(lambda: draw(elements), title=name, url_path=name, default=first)


def main() -> None:
    """One run: the page ?page=NAME names (under AppTest), else the page at the address opened."""
    if "page" in st.query_params:
        draw(spec().get(st.query_params["page"], []))
    else:
        pages = [page(name, elements, i == 0) for i, (name, elements) in enumerate(spec().items())]
        st.navigation(pages, position="hidden").run()


if __name__ == "__main__":  # run as the app's script
    main()
else:  # imported by `streamlit run`, to find the app it serves: served as the dashboard is (dashboard.py),
    # each page's address answered by the server itself (pages/_address.py), so that a page opened at its
    # address costs the floor what it costs the dashboard
    import sys
    from pathlib import Path

    from starlette.middleware import Middleware

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from pages._address import PageAddresses

    with open(os.environ["FLOOR_SPEC"]) as fh:
        names = list(json.load(fh))
    app = st.App(__file__, middleware=[Middleware(PageAddresses, addresses=names[1:])])
