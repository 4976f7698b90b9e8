"""The command line: ``python -m tracker <command>``.

Output meant for other programs (``--format csv|json``) goes to stdout alone;
notices and progress go to stderr. Bad input never ends in a traceback.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

from tracker import __version__
from tracker.errors import TrackerError
from tracker.ingest import FileResult

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70


def _date_arg(text: str) -> dt.date:
    from tracker.values import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc}") from None


DB_HELP = (
    "the store: a database file, or a shared DuckLake as 'ducklake:postgres:dbname=... host=... user=...' "
    "with its data folder in $TRACKER_DATA_PATH (default: $TRACKER_DB, else data/tracker.duckdb built from "
    "the demo data). Never put a password here: use PGPASSWORD, ~/.pgpass or a service file."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tracker", description="The pilot-site tracker.")
    parser.add_argument("--version", action="version", version=f"tracker {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--db", help=DB_HELP)

    p = sub.add_parser("ingest", parents=[store], help="validate and load monthly return files (CSV or .xlsx)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check and report what would change; write nothing")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = sub.add_parser(
        "sites",
        parents=[store],
        help="record a register file: every site as it stands from the day the change takes effect",
        description="Record a register file (every site) as a change to the register's history. By default a "
        "change takes effect today, whatever dates the entry holds; --effective-from dates it; --correction fixes "
        "a mistake on every date. Without FILE, list the register's history.",
    )
    p.add_argument("file", type=Path, metavar="FILE", nargs="?", help="the register (CSV or .xlsx); none: show history")
    p.add_argument("--effective-from", type=_date_arg, help="the day the change takes effect (default: today)")
    p.add_argument("--correction", action="store_true", help="fix a mistake: applies to every date")
    p.add_argument("--reason", help="why (needed for a change to a registered site)")
    p.add_argument("--site", help="with no FILE: only this site's history")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = sub.add_parser(
        "rules",
        parents=[store],
        help="the flag rules: show those in effect, or record a change with a reason",
        description="Without --set, show the rules in effect (--as-of) and their history. With --set, record a "
        "new version of the rules taking effect today or on --effective-from; tracker.toml seeds only a new database.",
    )
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a rule's new value (repeat)")
    p.add_argument("--effective-from", type=_date_arg, help="the day the change takes effect (default: today)")
    p.add_argument("--reason", help="why (needed for a change)")
    p.add_argument("--as-of", type=_date_arg, help="show the rules in effect on this date (default: today)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = sub.add_parser("void", parents=[store], help="withdraw a wrongly loaded return (kept in history)")
    p.add_argument("site", metavar="SITE")
    p.add_argument("period", type=_date_arg, metavar="PERIOD", help="period end, e.g. 2010-10-31")
    p.add_argument("--reason", required=True)

    p = sub.add_parser("flags", parents=[store], help="stall flags (or each site's status) as of a date")
    p.add_argument("--as-of", type=_date_arg, help="any date (default: the latest date a return was sent)")
    p.add_argument("--status", action="store_true", help="one row per site with its status, instead of flags")
    p.add_argument("--region", help="only this region")
    p.add_argument("--cohort", choices=("in-depth", "wider"), help="only this cohort")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = sub.add_parser(
        "snapshot", parents=[store], help="capture the weekly board pack (PNGs, one PDF, a manifest) in Chromium"
    )
    p.add_argument("--as-of", type=_date_arg, help="the pack's date (default: today)")
    p.add_argument("--out", type=Path, required=True, help="folder for the pack's files")
    p.add_argument("--pages", default="board,compare,stalled", help="comma-separated (default: board,compare,stalled)")
    p.add_argument("--region", help="a regional pack")
    p.add_argument("--cohort", choices=("in-depth", "wider"))
    p.add_argument("--compare-to", type=_date_arg, help="the previous pack's date (default: 7 days before)")
    p.add_argument("--url", help="capture a dashboard already running here instead of starting a private one")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for each page (default: 60)")
    p.add_argument("--pptx", action="store_true", help="also write the pack as a PowerPoint deck (16:9)")
    p.add_argument(
        "--mail-to",
        metavar="ADDR[,ADDR...]",
        help="e-mail the pack (board inline, PDF and deck attached) through the relay in [mail] / TRACKER_SMTP_*",
    )

    p = sub.add_parser(
        "alerts",
        parents=[store],
        help="e-mail the sites newly stalled and red flags newly raised since the last alert sent",
    )
    p.add_argument("--as-of", type=_date_arg, help="the date to judge (default: today)")
    p.add_argument("--mail-to", metavar="ADDR[,ADDR...]", help="who to tell (needed unless --dry-run)")
    p.add_argument("--dry-run", action="store_true", help="print the message; send and record nothing")

    p = sub.add_parser("export", parents=[store], help="back up every table as Parquet and CSV")
    p.add_argument("--out", type=Path, required=True, help="folder for the backup")

    p = sub.add_parser("restore", help="fill a new store (a new file, or an empty lake) from a backup made by export")
    p.add_argument("backup", type=Path, metavar="DIR")
    p.add_argument("--db", required=True, help="the new store: a file that must not exist, or an empty DuckLake")

    sub.add_parser(
        "check", parents=[store], help="check the store's integrity (every return from an accepted load, ...)"
    )

    sub.add_parser(
        "maintain",
        parents=[store],
        help="compact the store: merge small files, expire old snapshots, delete unused files (safe while in use)",
    )

    p = sub.add_parser("demo", help="generate the synthetic demo programme's files (and a database from them)")
    p.add_argument("--out", type=Path, default=None, help="folder for sites.csv and returns/ (default: data/)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--db",
        help="also build a demo store here: a file or a lake that is new, empty or holds demo data "
        "(replaced); one holding a programme's own data is refused",
    )
    p.add_argument("--sites", type=int, help="a scaled synthetic programme of this many sites (needs --db)")
    p.add_argument("--months", type=int, help="... over this many months (default 60)")
    return parser


def _print_results(results: list[FileResult], fmt: str) -> None:
    for r in results:
        for notice in r.notices:
            print(f"note: {notice}", file=sys.stderr)
    if fmt == "json":
        json.dump([_result_dict(r) for r in results], sys.stdout, indent=2, default=str)
        print()
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(
            [
                "file",
                "outcome",
                "dry_run",
                "rows",
                "new_returns",
                "superseded_returns",
                "unchanged_returns",
                "warnings",
                "problems",
            ]
        )
        for r in results:
            writer.writerow(
                [
                    r.file,
                    r.outcome,
                    r.dry_run,
                    r.rows,
                    len(r.new),
                    len(r.superseded),
                    r.unchanged,
                    len(r.warnings),
                    len(r.problems),
                ]
            )
        return
    for r in results:
        print(_describe(r))


def _describe(r: FileResult) -> str:
    from tracker.values import uk_date

    if r.outcome == "refused":
        lines = [f"REFUSED {r.file}: nothing was loaded. {len(r.problems)} problem(s):"]
        lines += [f"  - {p}" for p in r.problems]
        return "\n".join(lines)
    if r.outcome == "already loaded":
        return f"ALREADY LOADED {r.file}: nothing changed."
    verb = "WOULD LOAD" if r.dry_run else "LOADED"
    lines = [
        f"{verb} {r.file}: {r.rows} row(s): {len(r.new)} new return(s), {len(r.superseded)} superseded, "
        f"{r.unchanged} unchanged, {len(r.warnings)} warning(s)."
    ]
    for c in r.superseded:
        diffs = "; ".join(f"{k} {_plain(a)} -> {_plain(b)}" for k, (a, b) in c.differences.items())
        lines.append(f"  supersedes {c.site_code} {uk_date(c.period_end)}: {diffs}")
    for w in r.warnings:
        lines.append(f"  warning {w.site_code} {uk_date(w.period_end)}: {w.message}")
    return "\n".join(lines)


def _plain(value: object) -> str:
    if value is None:
        return "(blank)"
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def _result_dict(r: FileResult) -> dict:
    return {
        "file": r.file,
        "sha256": r.sha256,
        "outcome": r.outcome,
        "dry_run": r.dry_run,
        "rows": r.rows,
        "new": [{"site_code": c.site_code, "period_end": c.period_end.isoformat()} for c in r.new],
        "superseded": [
            {
                "site_code": c.site_code,
                "period_end": c.period_end.isoformat(),
                "differences": {k: [_plain(a), _plain(b)] for k, (a, b) in c.differences.items()},
            }
            for c in r.superseded
        ],
        "unchanged": r.unchanged,
        "warnings": [
            {
                "site_code": w.site_code,
                "period_end": w.period_end.isoformat(),
                "check": w.check,
                "column": w.column,
                "message": w.message,
            }
            for w in r.warnings
        ],
        "problems": [
            {"file": p.file, "row": p.row, "column": p.column, "value": p.value, "message": p.message}
            for p in r.problems
        ],
        "load_id": r.load_id,
    }


def _cmd_ingest(args: argparse.Namespace) -> int:
    from tracker.demo import open_with_demo
    from tracker.ingest import ingest_paths

    store = open_with_demo(args.db)
    results = ingest_paths(store, args.files, dry_run=args.dry_run)
    _print_results(results, args.format)
    return 0 if all(r.ok for r in results) else EXIT_REFUSED


def _cmd_sites(args: argparse.Namespace) -> int:
    from tracker import queries
    from tracker.demo import open_with_demo
    from tracker.ingest import read_file
    from tracker.register import load_register

    store = open_with_demo(args.db)
    if args.file is None:
        with store.read() as con:
            frame = queries.frame(con, "register_changes", site_code=args.site)
        _print_frame(frame, args.format)
        return 0
    result = load_register(
        store,
        args.file.name,
        read_file(args.file),
        effective_from=args.effective_from,
        correction=args.correction,
        reason=args.reason,
    )
    if result.outcome == "accepted":
        print(
            f"LOADED {args.file.name}: the register now holds {result.rows} site(s); "
            f"{len(result.notices)} change(s) recorded (load {result.load_id})."
        )
        for line in result.notices:
            print(f"  {line}")
        return 0
    if result.ok:
        print(f"UNCHANGED {args.file.name}: " + "; ".join(result.notices))
        return 0
    print(_describe(result))
    return EXIT_REFUSED


def _cmd_rules(args: argparse.Namespace) -> int:
    import datetime as dt

    from tracker import rules
    from tracker.demo import open_with_demo

    store = open_with_demo(args.db)
    if not args.set:
        with store.read() as con:
            in_force = rules.in_force(con, args.as_of or dt.date.today())
            frame = rules.history(con)
        if args.format == "table":
            print(f"In effect on {(args.as_of or dt.date.today()).isoformat()}: {in_force.label}")
            for name, value in in_force.values.items():
                print(f"  {name} = {value}")
            print()
        _print_frame(frame, args.format)
        return 0
    values = {}
    for item in args.set:
        name, sep, text = item.partition("=")
        if not sep:
            raise TrackerError(f"--set {item!r}: write it as NAME=VALUE")
        values[name.strip()] = rules.parse_value(name.strip(), text.strip())
    result = rules.record_change(store, values, reason=args.reason or "", effective_from=args.effective_from)
    if result.outcome == "accepted":
        print(f"RECORDED the rules change (load {result.load_id}):")
        for line in result.notices:
            print(f"  {line}")
        return 0
    if result.ok:
        print("UNCHANGED: " + "; ".join(result.notices))
        return 0
    print(_describe(result))
    return EXIT_REFUSED


def _cmd_void(args: argparse.Namespace) -> int:
    from tracker.demo import open_with_demo
    from tracker.values import uk_date
    from tracker.voids import void_return

    store = open_with_demo(args.db)
    void_return(store, args.site, args.period, args.reason)
    print(f"VOIDED {args.site} {uk_date(args.period)}: the return no longer counts; its versions are kept.")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from tracker import demo
    from tracker.store import locate

    seed = args.seed if args.seed is not None else demo.SEED
    if args.sites is None and args.months is None:
        out = args.out or demo.DEMO_DATA
        written = demo.write(demo.generate(seed), out)
        print(f"wrote {len(written)} file(s) under {out}", file=sys.stderr)
        if args.db:
            store = locate(args.db)
            demo.build(store, out)
            print(f"built the demo programme in {store.describe()}", file=sys.stderr)
        return 0
    if not args.db:  # a scaled programme never touches the shipped demo in data/
        raise TrackerError("a scaled programme (--sites/--months) needs --db for its store")
    programme, meta = demo.generate_scaled(args.sites or 70, args.months or 60, seed)
    store = locate(args.db)
    if args.out:
        written = demo.write(programme, args.out)
        print(f"wrote {len(written)} file(s) under {args.out}", file=sys.stderr)
    demo.build_generated(store, programme, meta)
    print(f"built {meta['programme_name']} in {store.describe()}", file=sys.stderr)
    return 0


def _cmd_flags(args: argparse.Namespace) -> int:
    from tracker import flags
    from tracker.demo import open_with_demo
    from tracker.store import programme_config
    from tracker.values import uk_date

    store = open_with_demo(args.db)
    as_of = args.as_of or flags.default_as_of(store)
    if as_of is None:
        raise TrackerError("the database holds no returns yet: give --as-of")
    with store.read() as con:
        regions = programme_config(con).regions
    if args.region is not None and args.region not in regions:
        raise TrackerError(f"{args.region!r} is not one of the programme's regions ({', '.join(regions)})")
    if args.status:
        df = flags.statuses(store, as_of, args.region, args.cohort)[["site_code", "site_name", "status"]]
    else:
        df = flags.raised(store, as_of, args.region, args.cohort)
        df = df[["site_code", "site_name", "flag", "severity", "since", "reason"]]
        df["since"] = [d.date().isoformat() for d in df["since"]]
    print(f"as of {uk_date(as_of)}: {len(df)} row(s)", file=sys.stderr)
    _print_frame(df, args.format)
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from tracker.demo import open_with_demo
    from tracker.snapshot import capture

    store = open_with_demo(args.db)
    as_of = args.as_of or dt.date.today()
    to = None
    if args.mail_to is not None:
        from tracker import mail

        to = mail.recipients(args.mail_to)
        missing = mail.settings().problems()
        if missing:  # said before the capture, not after a minute's work
            raise TrackerError("cannot e-mail the pack: " + "; ".join(missing))
    try:
        manifest = capture(
            store,
            as_of,
            args.out,
            pages=tuple(p.strip() for p in args.pages.split(",") if p.strip()),
            region=args.region,
            cohort=args.cohort,
            compare_to=args.compare_to,
            url=args.url,
            timeout_s=args.timeout,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
            pptx=args.pptx or to is not None,
        )
    except TrackerError as exc:
        if to is not None:  # the Monday e-mail that did not go: in the log editors see, not only in cron's
            from tracker import mail
            from tracker.ingest import current_user

            mail.log_failed_pack(
                store, as_of, to, f"the pack failed its checks, so it was not sent: {exc}", current_user()
            )
        raise
    for shot in manifest["pages"]:
        print(args.out / shot["file"])
    print(args.out / manifest["pdf"])
    if manifest.get("pptx"):
        print(args.out / manifest["pptx"])
    if to is not None:
        from tracker import mail
        from tracker.ingest import current_user

        message_id = mail.send_pack(store, manifest, args.out, manifest["programme"], to, current_user())
        print(f"e-mailed the pack to {', '.join(to)} ({message_id})", file=sys.stderr)
    print(f"board pack for {as_of:%-d %b %Y} written in {manifest['seconds']:.1f} s", file=sys.stderr)
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    from tracker import alerts, mail
    from tracker.demo import open_with_demo
    from tracker.ingest import current_user

    store = open_with_demo(args.db)
    as_of = args.as_of or dt.date.today()
    if args.mail_to is None and not args.dry_run:
        raise TrackerError("alerts: give --mail-to ADDR[,ADDR...] (or --dry-run to see the message)")
    to = mail.recipients(args.mail_to) if args.mail_to else []
    outcome = alerts.run(store, as_of, to, dry_run=args.dry_run, user=current_user())
    if outcome.message is not None and args.dry_run:
        print(outcome.message.get_body(("plain",)).get_content())
    print(outcome.summary, file=sys.stderr)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from tracker.backup import export
    from tracker.demo import open_with_demo

    manifest = export(open_with_demo(args.db), args.out)
    for table, entry in manifest["tables"].items():
        print(f"{table}: {entry['rows']:,} row(s)", file=sys.stderr)
    print(args.out)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from tracker.backup import restore
    from tracker.store import locate

    store = locate(args.db)
    done = restore(args.backup, store)
    print(f"restored {sum(done['tables'].values()):,} row(s) into {store.describe()}", file=sys.stderr)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from tracker.demo import open_with_demo
    from tracker.integrity import check

    problems = check(open_with_demo(args.db))
    for problem in problems:
        print(problem)
    print("integrity: " + ("ok" if not problems else f"{len(problems)} problem(s)"), file=sys.stderr)
    return 0 if not problems else EXIT_REFUSED


def _cmd_maintain(args: argparse.Namespace) -> int:
    from tracker.demo import open_with_demo

    store = open_with_demo(args.db)
    for line in store.maintain():
        print(line, file=sys.stderr)
    print(f"maintained {store.describe()}", file=sys.stderr)
    return 0


def _print_frame(df, fmt: str) -> None:
    if fmt == "csv":
        df.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif fmt == "json":
        print(df.to_json(orient="records", indent=2, force_ascii=False))
    elif df.empty:
        print("(none)")
    else:
        print(df.to_string(index=False, max_colwidth=100))


COMMANDS = {
    "check": _cmd_check,
    "export": _cmd_export,
    "restore": _cmd_restore,
    "snapshot": _cmd_snapshot,
    "alerts": _cmd_alerts,
    "flags": _cmd_flags,
    "ingest": _cmd_ingest,
    "sites": _cmd_sites,
    "rules": _cmd_rules,
    "void": _cmd_void,
    "demo": _cmd_demo,
    "maintain": _cmd_maintain,
}


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status says whether it succeeded."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TrackerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # the reader (`head`, say) stopped early: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("TRACKER_DEBUG"):
            raise
        print(
            f"internal error (a bug in the tracker; set TRACKER_DEBUG=1 for details): {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
