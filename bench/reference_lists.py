"""Loading a province's lists with `scripts/admin` (as an operator runs it, one process per
command): a GB/T 2260 list, then a school list of `--schools` rows as XLSX — the first
load, the same list again (nothing written), and the list with 1 % of the schools renamed.
Against its own embedded servers, or MONGODB_URI (a database of its own, dropped after).

    ./scripts/bench reference_lists [--schools 20000]

Prints wall time per run and rows per second."""

from __future__ import annotations

import argparse
import io
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
from pymongo import MongoClient

from storage.embedded import PROJECT_ROOT, EmbeddedServices

KINDS = ("小学", "小学", "小学", "初级中学", "九年一贯制学校", "十二年一贯制学校", "特殊教育学校", "工读学校")


def areas_csv() -> tuple[str, list[str]]:
    """Henan's shape: the province, 17 cities, 9 counties each (codes of the right form)."""
    lines, counties = ["行政区划代码,单位名称", "410000,河南省"], []
    for city in range(1, 18):
        lines.append(f"41{city:02d}00,第{city}市")
        for county in range(1, 10):
            code = f"41{city:02d}{county:02d}"
            lines.append(f"{code},第{city}市第{county}县")
            counties.append(code)
    return "\n".join(lines) + "\n", counties


def schools_xlsx(count: int, counties: list[str], renamed: int = 0) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["学校标识码", "学校名称", "办学类型", "办学性质", "所在地行政区划代码", "学籍主管部门代码"])
    for i in range(count):
        county = counties[i % len(counties)]
        supervisor = county[:4] + "00" if i % 50 == 0 else ""  # 2 % 直管学校 of the city
        name = f"{county}第{i}学校" + ("（更名）" if i < renamed else "")
        sheet.append([f"3{i:09d}", name, KINDS[i % len(KINDS)], "民办" if i % 9 == 0 else "公办", county, supervisor])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    name = f"xueji_bench_lists_{secrets.token_hex(4)}"
    if os.environ.get("MONGODB_URI"):
        uri = os.environ["MONGODB_URI"]
        try:
            yield uri, name
        finally:
            client: MongoClient[dict[str, object]] = MongoClient(uri)
            with client:
                client.drop_database(name)
        return
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o711)  # PostgreSQL runs as `postgres` when we are root
        with EmbeddedServices(Path(tmp)) as endpoints:
            yield endpoints.mongodb_uri, name


def admin(uri: str, db: str, *args: str) -> tuple[float, str]:
    env = {"PATH": os.environ.get("PATH", ""), "APP_ENV": "test", "JWT_SECRET": secrets.token_urlsafe(48),
           "MONGODB_URI": uri, "MONGODB_DATABASE": db}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "scripts.admin_cmd", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"scripts/admin {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    summary = next(line for line in done.stdout.splitlines() if " rows, effective " in line)
    return elapsed, summary.split(": ", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=20_000)
    args = parser.parse_args()
    text, counties = areas_csv()
    with tempfile.TemporaryDirectory() as tmp, database() as (uri, db):
        areas, schools, renamed = Path(tmp) / "areas.csv", Path(tmp) / "schools.xlsx", Path(tmp) / "renamed.xlsx"
        areas.write_text(text, encoding="utf-8")
        schools.write_bytes(schools_xlsx(args.schools, counties))
        renamed.write_bytes(schools_xlsx(args.schools, counties, renamed=args.schools // 100))
        runs = [
            ("areas, first load", areas, text.count("\n") - 1),
            ("schools, first load", schools, args.schools),
            ("schools, same list again", schools, args.schools),
            ("schools, 1 % renamed", renamed, args.schools),
        ]
        print(f"| run | rows | seconds | rows/s | outcome |\n|---|---:|---:|---:|---|")
        for label, path, rows in runs:
            command = "import-areas" if path is areas else "import-schools"
            seconds, outcome = admin(uri, db, command, str(path), "--effective-on", "2026-09-01")
            print(f"| {label} | {rows} | {seconds:.1f} | {rows / seconds:.0f} | {outcome} |", flush=True)


if __name__ == "__main__":
    main()
