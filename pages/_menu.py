"""The dashboard's pages, in the menu's order: one list for the navigation (dashboard.py), the server's
answers at their addresses (pages/_address.py) and the benchmarks.

Not a page: dashboard.py lists the pages explicitly.
"""

# The file in pages/ (and the address, below the root, of every page but the first, which is the root),
# title, icon and whether the menu shows it.
PAGES = (
    ("overview", "Overview", ":material/dashboard:", "visible"),
    ("compare", "Compare sites", ":material/compare_arrows:", "visible"),
    ("stalled", "Stalled sites", ":material/block:", "visible"),
    ("site", "Site detail", ":material/location_city:", "visible"),
    ("returns", "Returns", ":material/inbox:", "visible"),
    # Not in the menu: a slide with no way back. The Overview links to it for the date in view.
    ("board", "Board pack", ":material/slideshow:", "hidden"),
)


def addresses() -> list[str]:
    """Each page's address below the root (every page's but the first's): ``compare``, ``board``, ..."""
    return [name for name, *_ in PAGES[1:]]
