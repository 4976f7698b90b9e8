"""Returns: who has sent what, whom to chase, data-quality warnings, the load log, and upload."""

import pandas as pd
import streamlit as st

from pages import _charts as charts
from pages import _shared as ui
from tracker.access import upload_returns
from tracker.exports import template_csv, template_xlsx
from tracker.values import plural

ui.ensure_router()

f = ui.filters()
st.title("Returns")
st.caption(
    f"As of **{ui.uk_date(f['as_of'])}**. "
    f"A month's return is due on day {ui.settings(f['as_of']).return_due_day} of the next month."
)
ui.demo_banner()


def load_sites() -> pd.DataFrame:
    return ui.frame("site_latest", **f)


def load_missing() -> pd.DataFrame:
    return ui.frame("returns_missing", **f)


def load_warnings() -> pd.DataFrame:
    return ui.frame("data_quality_warnings", **f, site_code=None)


def load_log() -> pd.DataFrame:
    return ui.frame("load_log_recent", limit=500)


# every tab's content is sent with the page
ui.ahead(("returns", *f.items()), load_sites, load_missing, load_warnings, load_log)
summary = ui.frame("returns_summary", **f).iloc[0]
GRID_SITES = 75  # sites on one page of the grid (the pilot's 70 fit on one)

tabs = st.tabs(["Completeness", "Chase list", "Data-quality warnings", "Load log", "Upload returns"])

with tabs[0]:
    owing = load_sites()
    owing = owing[owing.go_live <= pd.Timestamp(f["as_of"])]
    if owing.empty:
        st.info("No returns are due as of this date.")
    else:
        st.write(
            f"**{int(summary.on_time):,}** on time · **{int(summary.late):,}** late · "
            f"**{int(summary.missing):,}** missing · **{int(summary.not_yet_due):,}** not yet due · "
            f"**{int(summary.resubmitted):,}** resubmitted, from {len(owing):,} sites. "
            "Letters: L late, M missing, R resubmitted, V void."
        )
        with st.container(horizontal=True, vertical_alignment="bottom"):
            found = ui.find(owing, key="returns_grid_find")
            page = ui.paginate(found, key="returns_grid_page", rows=GRID_SITES, noun="sites")
        grid = ui.frame("returns_completeness", **f, site_codes=page.site_code.tolist()) if not page.empty else None
        if grid is None or grid.empty:
            st.info("No site matches.")
        else:
            charts.draw(charts.returns_grid(grid), key="returns_grid")
        ui.download(
            lambda: ui.frame("returns_completeness", **f, site_codes=None),
            f"returns_completeness_{f['as_of']}.csv",
            "Download every site's returns (CSV)",
            key="returns_grid_download",
        )

with tabs[1]:
    missing = load_missing()
    if missing.empty:
        st.success("Every return that is due has been received.", icon=":material/check_circle:")
    else:
        st.write(f"**{len(missing):,}** missing returns from **{int(summary.sites_missing):,}** sites.")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            found = ui.find(missing, key="returns_chase_find", columns=("site_name", "site_code", "contact_name"))
            chase = ui.paginate(found, key="returns_chase_page", noun="missing returns")
        st.dataframe(
            chase.drop(columns=["site_code"]),
            hide_index=True,
            width="stretch",
            height=ui.table_height(len(chase)),
            column_config={
                "site_name": st.column_config.TextColumn("Site", pinned=True),
                "period_end": st.column_config.DateColumn("Month", format=ui.MONTH),
                "due_on": st.column_config.DateColumn("Due", format=ui.DATE),
                "days_overdue": st.column_config.NumberColumn("Days overdue", format="%d"),
                "contact_name": "Contact",
                "contact_email": "E-mail",
                "region": "Region",
            },
            key="returns_chase",
        )
        ui.download(
            missing.drop(columns=["site_code"]),
            f"chase_list_{f['as_of']}.csv",
            "Download the chase list (CSV)",
            key="returns_chase_download",
        )

with tabs[2]:
    warnings = load_warnings()
    if warnings.empty:
        st.write("No data-quality warnings on the returns that count.")
    else:
        st.write(f"**{len(warnings)}** warnings on returns that count as of this date.")
        st.dataframe(
            warnings,
            hide_index=True,
            width="stretch",
            height=ui.table_height(len(warnings)),
            column_config={
                "site_code": None,
                "site_name": "Site",
                "period_end": st.column_config.DateColumn("Month", format=ui.MONTH),
                "check_name": "Check",
                "column_name": "Column",
                "message": st.column_config.TextColumn("Warning", width="large"),
                "submitted_on": st.column_config.DateColumn("Sent", format=ui.DATE),
            },
            key="returns_warnings",
        )
        ui.download(warnings, f"warnings_{f['as_of']}.csv", key="returns_warnings_download")

with tabs[3]:
    log = load_log()
    st.caption(
        "Every file or command that tried to change the data, newest first (the last 500). Times are the server's."
    )
    st.dataframe(
        log,
        hide_index=True,
        width="stretch",
        column_config={
            "load_id": "Load",
            "loaded_at": st.column_config.DatetimeColumn("When", format="D MMM YYYY HH:mm"),
            "kind": "Kind",
            "file_name": "File",
            "outcome": "Outcome",
            "row_count": "Rows",
            "new_returns": "New",
            "superseded_returns": "Superseded",
            "unchanged_returns": "Unchanged",
            "warning_count": "Warnings",
            "loaded_by": "By",
            "note": "Note",
            "error_summary": st.column_config.TextColumn("Problems", width="large"),
        },
        key="returns_load_log",
    )
    ui.download(log, "load_log.csv", key="returns_log_download")
    if ui.identity().can_upload:
        st.markdown("**E-mail deliveries** (editors): every attempt to send a board pack or an alert.")
        sent = ui.frame("deliveries_recent", limit=200)
        if sent.empty:
            st.caption("Nothing has been e-mailed yet (`snapshot --mail-to`, `alerts --mail-to`).")
        else:
            st.dataframe(
                sent,
                hide_index=True,
                width="stretch",
                column_config={
                    "attempted_at": st.column_config.DatetimeColumn("When", format="D MMM YYYY HH:mm"),
                    "kind": "What",
                    "as_of": st.column_config.DateColumn("As of", format=ui.DATE),
                    "subject": "Subject",
                    "recipients": "To",
                    "outcome": "Outcome",
                    "message_id": "Message id",
                    "error": st.column_config.TextColumn("Why it failed", width="large"),
                    "attempted_by": "By",
                },
                key="returns_deliveries",
            )

with tabs[4]:
    st.markdown(
        "Load one or more monthly return files (CSV or Excel .xlsx, up to "
        f"{ui.settings().max_upload_bytes / 1_000_000:.0f} MB each). Each file is checked in full and loaded whole "
        "or not at all; a refused file changes nothing. The columns are in docs/returns.md, and in the templates."
    )
    left, right, _ = st.columns([1, 1, 3])
    # made when clicked (a workbook takes a tenth of the page's run to make), as the page's other downloads are
    ui.download_file(
        "Blank return (CSV)", template_csv, "return_template.csv", "text/csv", "returns_template_csv", left
    )
    ui.download_file(
        "Blank return (Excel)",
        template_xlsx,
        "return_template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "returns_template_xlsx",
        right,
    )
    me = ui.identity()
    if not me.can_upload:
        st.info(
            f"You are signed in as a viewer ({ui.inert(me.label)}): only editors can load returns.",
            icon=":material/lock:",
        )
    else:
        with st.form("returns_upload_form", clear_on_submit=True):
            files = st.file_uploader(
                "Return files", type=["csv", "xlsx"], accept_multiple_files=True, key="returns_upload_files"
            )
            dry_run = st.checkbox("Only check: show what would change and load nothing", key="returns_upload_dry_run")
            submitted = st.form_submit_button("Check and load", icon=":material/upload:")
        if submitted and files:
            uploads = [(upload.name, upload.getvalue()) for upload in files]
            st.session_state["returns_reports"] = upload_returns(ui.store(), uploads, me, dry_run=dry_run)
    for report in st.session_state.get("returns_reports", []):
        if report.outcome == "refused":
            st.error(f"**{ui.inert(report.file)}** was refused: nothing was loaded.", icon=":material/block:")
            st.dataframe(
                pd.DataFrame(
                    [
                        {"row": p.row, "column": p.column, "value": p.value, "problem": p.message}
                        for p in report.problems
                    ]
                ),
                hide_index=True,
                width="stretch",
                column_config={
                    "row": st.column_config.NumberColumn("Row", format="%d"),
                    "column": "Column",
                    "value": "Value",
                    "problem": st.column_config.TextColumn("Problem", width="large"),
                },
            )
        elif report.outcome == "already loaded":
            st.info(
                f"**{ui.inert(report.file)}**: this exact file was loaded before; nothing changed.",
                icon=":material/info:",
            )
        else:
            verb = "would add" if report.dry_run else "added"
            st.success(
                f"**{ui.inert(report.file)}**: {plural(report.rows, 'row', 'rows')}; "
                f"{verb} {len(report.new)} new returns, "
                f"{'would supersede' if report.dry_run else 'superseded'} {len(report.superseded)}, "
                f"{report.unchanged} unchanged; {plural(len(report.warnings), 'warning', 'warnings')}.",
                icon=":material/check_circle:",
            )
            if report.superseded:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "site": c.site_code,
                                "month": ui.uk_date(c.period_end),
                                "changes": "; ".join(f"{k}: {a} → {b}" for k, (a, b) in c.differences.items()),
                            }
                            for c in report.superseded
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                )
            if report.warnings:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {"site": w.site_code, "month": ui.uk_date(w.period_end), "warning": w.message}
                            for w in report.warnings
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                )
        for notice in report.notices:
            st.caption(ui.inert(notice))
