"""The board pack as a PowerPoint deck (python-pptx): a title slide, then one 16:9 slide per page.

The board (1920 × 1080, itself 16:9) fills its slide edge to edge; a longer page is fitted to the
slide's height, centred. Each slide's notes carry the manifest's figures and the flagged sites shown,
so a presenter has the numbers as text and a screen reader has something to read.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from pptx import Presentation
from pptx.util import Emu, Pt

from tracker.values import uk_date

SLIDE_W, SLIDE_H = Emu(12_192_000), Emu(6_858_000)  # 13.333 × 7.5 in: PowerPoint's own 16:9
HEADLINE = (
    ("sites_registered", "Sites registered"),
    ("sites_live", "Sites live"),
    ("sites_stalled", "Stalled"),
    ("sites_at_risk", "At risk"),
    ("sites_on_track", "On track"),
    ("sites_not_live", "Not live"),
    ("sites_withdrawn", "Withdrawn"),
    ("people_recruited", "People recruited"),
    ("recruitment_target", "Target of the live sites"),
    ("budgets_total", "People with a budget"),
    ("spend_care_to_date_gbp", "Care spend to date (£)"),
    ("spend_infrastructure_to_date_gbp", "Infrastructure spend to date (£)"),
)


def deck_name(manifest: dict) -> str:
    """``board-pack_2010-11-30.pptx`` (with the region and cohort of a regional pack, as the PDF)."""
    return Path(manifest["pdf"]).with_suffix(".pptx").name


def figures_text(manifest: dict) -> str:
    """The pack's figures, changes and flagged sites as plain text (slide notes; the e-mail's text)."""
    head = manifest["headline"]
    lines = [f"As of {uk_date(_date(manifest['as_of']))}; data received up to {_cut_off(manifest)}."]
    lines += [f"{label}: {_number(head.get(key))}" for key, label in HEADLINE if key in head]
    returns = manifest.get("returns") or {}
    if returns.get("month"):
        lines.append(f"Returns for {_date(returns['month']):%B %Y}: {returns['received']} of {returns['due']} received")
    changes = manifest.get("status_changes_since_last_pack") or []
    newly = [c for c in changes if c["change"] == "Newly stalled"]
    recovered = [c for c in changes if c["change"] in ("Recovered", "Improved")]
    since = uk_date(_date(manifest["compared_with"]["last_pack"]))
    lines.append(f"Newly stalled since {since}: " + (", ".join(_site(c) for c in newly) or "none"))
    lines.append(f"Recovered or improved since {since}: " + (", ".join(_site(c) for c in recovered) or "none"))
    flagged = manifest.get("flagged_sites") or []
    lines.append(f"Flags raised ({len(flagged)}):")
    lines += [f"- {f['site_name']} ({f['site_code']}): {f['flag']} ({f['severity']}) {f['reason']}" for f in flagged]
    if manifest.get("rules"):
        lines.append(f"Judged by {manifest['rules']['label']}.")
    if manifest.get("synthetic_demo_data"):
        lines.append("Synthetic demo data: illustrative figures.")
    return "\n".join(lines)


def write(manifest: dict, folder: Path, programme: str) -> Path:
    """Write the deck for a captured pack (its PNGs in ``folder``); gives its path."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    notes = figures_text(manifest)

    title = prs.slides.add_slide(prs.slide_layouts[0])
    title.shapes.title.text = f"Board pack — {programme}"
    title.placeholders[1].text = (
        f"As of {uk_date(_date(manifest['as_of']))} · data received up to {_cut_off(manifest)}"
        + (f" · {manifest['region']}" if manifest.get("region") else "")
        + (f" · {manifest['cohort']} cohort" if manifest.get("cohort") else "")
    )
    title.notes_slide.notes_text_frame.text = notes

    blank = prs.slide_layouts[6]
    for page in manifest["pages"]:
        slide = prs.slides.add_slide(blank)
        path = folder / page["file"]
        with Image.open(path) as image:
            width, height = image.size
        scale = min(SLIDE_W / width, SLIDE_H / height)
        w, h = Emu(int(width * scale)), Emu(int(height * scale))
        picture = slide.shapes.add_picture(str(path), Emu((SLIDE_W - w) // 2), Emu((SLIDE_H - h) // 2), w, h)
        picture.name = f"{page['page']} page"
        slide.notes_slide.notes_text_frame.text = f"{page['page'].capitalize()} page.\n{notes}"
    for slide in prs.slides:
        for paragraph in slide.notes_slide.notes_text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(12)
    target = folder / deck_name(manifest)
    prs.save(str(target))
    return target


def _site(change: dict) -> str:
    return f"{change['site_name']} ({change['was']} → {change['now']})"


def _cut_off(manifest: dict) -> str:
    cut = manifest.get("data_received_up_to")
    return uk_date(_date(cut)) if cut else "no returns yet"


def _number(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(str(text)[:10])
