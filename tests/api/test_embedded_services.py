"""The embedded default: FerretDB on a private PostgreSQL cluster that has no TCP listener
(beyond loopback), filters pushed down into SQL, and the ports of one deployment reserved
together."""

from __future__ import annotations

import os
import pwd
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from storage.embedded import POSTGRES_USER, EmbeddedServices, Endpoints, _free_ports, _Process, _tcp_check, _wait

LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1 as in /proc/net


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(match.group(1))
    return inodes


def _tcp_listeners(inodes: set[str]) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of listening TCP sockets among `inodes`."""
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                found.append(local)
    return found


def test_postgres_listens_on_its_unix_socket_and_no_other_address(embedded: EmbeddedServices) -> None:
    postmaster = embedded.postgres_pid
    assert postmaster is not None
    processes = [postmaster, *_children(postmaster)]
    inodes = set().union(*(_socket_inodes(pid) for pid in processes))
    listeners = _tcp_listeners(inodes)
    assert all(address.split(":")[0] in LOOPBACK for address in listeners), listeners
    assert listeners == []  # listen_addresses is empty: the socket is the only way in
    socket_dir = embedded.postgres_socket_dir
    assert stat.S_ISSOCK((socket_dir / ".s.PGSQL.5432").stat().st_mode)
    assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
    if os.geteuid() == 0:  # PostgreSQL refuses root; the cluster is the postgres user's
        owner = Path(f"/proc/{postmaster}").stat().st_uid
        assert pwd.getpwuid(owner).pw_name == POSTGRES_USER
        assert socket_dir.stat().st_uid == owner


@pytest.fixture
def scratch(endpoints: Endpoints) -> Iterator[Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(endpoints.mongodb_uri)
    name = f"xueji_scratch_{secrets.token_hex(4)}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


DOSSIERS = [
    {"_id": i, "school": f"s{i % 3}", "status": {"state": "ENROLLED"}, "numbers": [f"G{i}", f"L{i}"],
     "versions": [{"state": "STORED"}, {"state": "PENDING" if i == 4 else "STORED"}]}
    for i in range(9)
]


def test_equality_on_top_level_fields_and_array_elements_is_filtered_in_sql(
    embedded: EmbeddedServices, scratch: Any
) -> None:
    scratch.students.insert_many(DOSSIERS)
    for query in ({"school": "s1"}, {"numbers": "L4"}):
        explained = scratch.command("explain", {"find": "students", "filter": query})
        assert explained["filterPushdown"] is True, (query, explained)
        assert "Plan" in explained["queryPlanner"], explained  # a PostgreSQL plan
    assert [d["_id"] for d in scratch.students.find({"numbers": "L4"})] == [4]
    assert [d["_id"] for d in scratch.students.find({"school": "s1"})] == [1, 4, 7]
    # dotted paths are filtered in Go, correctly also through arrays of subdocuments
    assert [d["_id"] for d in scratch.students.find({"versions.state": "PENDING"})] == [4]
    assert len(list(scratch.students.find({"status.state": "ENROLLED"}))) == 9


def test_filters_use_the_gin_twins_of_ferretdb_indexes_instead_of_scanning_the_table(scratch: Any) -> None:
    """FerretDB filters `_jsonb->$1 @> $2`, which its btree indexes cannot serve; the GIN twin
    of every index (storage/ferretdb_gin.sql, for tables made before and after start-up)
    can, with custom plans. Without them each query scanned the whole table."""
    scratch.students.insert_many([{"_id": f"G{i:06d}", "school": f"s{i % 300}", "name": "x" * 40} for i in range(3000)])
    scratch.students.create_index("school")
    for query in ({"_id": "G000017"}, {"school": "s5"}):
        for _ in range(7):  # past the five executions after which PostgreSQL may switch to a generic plan
            scratch.students.find_one(query)
        plan = str(scratch.command("explain", {"find": "students", "filter": query})["queryPlanner"])
        assert "Seq Scan" not in plan and "_gin_" in plan, (query, plan)
    assert [d["_id"] for d in scratch.students.find({"school": "s5"})] == [f"G{i:06d}" for i in range(5, 3000, 300)]


def test_ferretdb_nested_pushdown_misses_paths_through_arrays_so_it_stays_off(
    embedded: EmbeddedServices, scratch: Any
) -> None:
    """FerretDB 1.24.2's --test-enable-nested-pushdown turns `versions.state` into the SQL
    path {versions,state}, which finds nothing inside an array. When an upgrade fixes this,
    this test fails, and the flag can be turned on for dotted-path speed."""
    scratch.students.insert_many(DOSSIERS)
    argv = embedded._ferretdb_process().argv
    assert "--test-enable-nested-pushdown" not in argv
    port, debug = _free_ports(2)
    argv = [a for a in argv if not a.startswith(("--listen-addr=", "--debug-addr="))]
    argv += [f"--listen-addr=127.0.0.1:{port}", f"--debug-addr=127.0.0.1:{debug}", "--test-enable-nested-pushdown"]
    flagged = _Process("FerretDB (nested pushdown)", argv, embedded.log_dir / "ferretdb-nested.log")
    flagged.start()
    try:
        _wait(_tcp_check(port), flagged, 30)
        client: MongoClient[dict[str, Any]] = MongoClient(f"mongodb://127.0.0.1:{port}/")
        try:
            students = client[scratch.name].students
            assert [d["_id"] for d in students.find({"status.state": "ENROLLED"})] == list(range(9))
            assert list(students.find({"versions.state": "PENDING"})) == []  # MongoDB: [4]
        finally:
            client.close()
    finally:
        flagged.stop()


def test_every_port_of_a_deployment_is_distinct_and_used_as_reserved(tmp_path: Path) -> None:
    for _ in range(5):
        services = EmbeddedServices(tmp_path)
        ports = list(services.ports.values())
        assert len(set(ports)) == len(ports)
        assert services.ports["mongo"] == services.mongo_port and services.ports["s3"] == services.s3_port
        argv = services._weed_process().argv + services._ferretdb_process().argv
        used = [int(a.rsplit(":", 1)[1]) for a in argv if re.fullmatch(r"--(listen|debug)-addr=127\.0\.0\.1:\d+", a)]
        used += [int(a.rsplit("=", 1)[1]) for a in argv if re.fullmatch(r"-[\w.]*(port|Port)[\w.]*=\d+", a)]
        assert sorted(p for p in used if p != 0) == sorted(ports)  # each reserved port used once
