"""Write-ahead evidence read back (unknown hosts, interrupted runs, reconciliation), the strict read-only verifier,
the preflight, by-value redaction in every report format and formula-safe CSV cells."""

import csv
import io
import json
import os
import sqlite3

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import actions, config
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.gate import gate_view
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.recorder import Recorder
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.report import to_csv
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError

PATCH_ARGS = {"state": "patched"}
PENDING = [
    {"component": "lab-agent", "before": "1.0", "after": "1.2"},
    {"component": "zlib", "before": "1", "after": "2"},
]


def killed_run(target, run_id="run-killed"):
    """A run whose controller died while web1's patch task ran: intent written, outcome never."""
    rec = Recorder(target=target, run_id=run_id)
    rec.start({"user": "alice"})
    rec.task_result(
        "web1", "Scan", "everylayer.patch.packages", {"layer": "os", "changes": [], "pending": PENDING}, "ok"
    )
    rec.intent("web2", "Patch", "everylayer.patch.packages", "u-2", state="patched")
    patched = {"layer": "os", "changes": []}
    rec.task_result("web2", "Patch", "everylayer.patch.packages", patched, "ok", task_args=PATCH_ARGS, task_uuid="u-2")
    rec.intent("web1", "Patch", "everylayer.patch.packages", "u-1", state="patched")
    rec.close()  # no outcome for web1, no run_end


def finished_run(target, run_id="run-ok"):
    rec = Recorder(target=target, run_id=run_id)
    rec.start({"user": "alice"})
    rec.intent("web1", "Patch", "everylayer.patch.packages", "u-9", state="patched")
    patched = {"layer": "os", "changes": []}
    rec.task_result("web1", "Patch", "everylayer.patch.packages", patched, "ok", task_args=PATCH_ARGS, task_uuid="u-9")
    rec.run_end({"web1": {"ok": 1}})
    rec.close()


def test_a_host_whose_intent_has_no_outcome_is_unknown_and_gated_as_failed(store_target):
    killed_run(store_target)
    with open_store(store_target, readonly=True) as db:
        run = list(db.records(run_id="run-killed"))
    view = gate_view(run, run, ["web1", "web2", "web3"])
    assert view["outcomes"] == {"web1": "unknown", "web2": "patched", "web3": "untouched"}
    assert view["counts"]["unknown"] == 1 and view["counts"]["failed"] == 1 and view["success_rate"] == 0.5


def test_verify_flags_the_interrupted_run_and_the_unknown_host(store_target):
    finished_run(store_target)
    killed_run(store_target)
    result = actions.verify_store(store_target)
    assert not result["verified"]
    problems = {(p["problem"], p["seq"]) for p in result["problems"]}
    assert {p for p, _ in problems} == {"interrupted", "unknown"}
    assert [r["run_id"] for r in result["interrupted_runs"]] == ["run-killed"]
    assert [(h["host"], h["run_id"], h["reconciled_by"]) for h in result["unknown_hosts"]] == [
        ("web1", "run-killed", None)
    ]


def test_the_next_scan_reconciles_the_unknown_host(store_target, tmp_path):
    killed_run(store_target)
    rec = Recorder(target=store_target, run_id="run-scan")
    rec.start({})
    # The scan finds lab-agent no longer pending: the killed task upgraded it with nobody recording.
    scan = {"layer": "os", "changes": [], "pending": [PENDING[1]]}
    rec.task_result("web1", "Scan", "everylayer.patch.packages", scan, "ok", task_args={"state": "scanned"})
    rec.run_end({})
    rec.close()
    with open_store(store_target, readonly=True) as db:
        reconcile = [r for r in db.records() if r.kind == "reconcile"]
    assert len(reconcile) == 1 and reconcile[0].host == "web1"
    data = reconcile[0].data
    assert data["reconciles"][0]["run_id"] == "run-killed" and data["pending_now"] == ["zlib"]
    assert data["changed_outside"] == [{"component": "lab-agent", "before": "1.0", "after": "1.2"}]
    result = actions.verify_store(store_target)
    assert result["verified"], result["problems"]  # settled by the scan: still listed, no longer a problem
    assert result["interrupted_runs"] == [
        {"run_id": "run-killed", "started": result["interrupted_runs"][0]["started"], "settled": True}
    ]
    assert result["unknown_hosts"][0]["reconciled_by"] == reconcile[0].seq
    report = actions.write_report(str(tmp_path / "rep"), ["json", "html", "csv"], store_target)
    assert report["totals"]["interrupted_runs"] == 1 and report["totals"]["unknown_hosts"] == 0
    rows = list(csv.DictReader(open(report["paths"]["csv"], encoding="utf-8")))
    assert [(r["host"], r["kind"]) for r in rows if r["kind"].startswith(("unknown", "interrupted"))] == [
        ("web1", f"unknown (reconciled by record {reconcile[0].seq})"),
        ("", "interrupted run"),
    ]
    html = open(report["paths"]["html"]).read()
    assert 'id="interrupted"' in html and "run-killed" in html and "lab-agent" in html


def test_verify_never_creates_a_missing_store(tmp_path):
    path = tmp_path / "nothing" / "evidence.sqlite"
    with pytest.raises(EvidenceError, match="does not exist"):
        actions.verify_store(str(path))
    assert not path.exists() and not path.parent.exists()


def test_verify_never_recreates_a_dropped_table(tmp_path):
    path = tmp_path / "ev.sqlite"
    finished_run(str(path))
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE evidence_records")
    with pytest.raises(EvidenceError, match="no table evidence_records"):
        actions.verify_store(str(path))
    with sqlite3.connect(path) as db:
        assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'evidence_records'").fetchall()


@pytest.mark.postgres
def test_verify_of_postgresql_is_read_only_and_never_recreates_a_table(postgres_dsn):
    finished_run(postgres_dsn)
    with open_store(postgres_dsn, readonly=True) as db:
        with pytest.raises(EvidenceError, match="read-only"):
            db.append("x", 1, "run_start", None, {})
    import psycopg

    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE evidence_anchor")
    with pytest.raises(EvidenceError, match="no table evidence_anchor"):
        actions.verify_store(postgres_dsn)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('evidence_anchor')").fetchone()[0] is None


def test_verify_fails_on_an_empty_store_unless_allowed(tmp_path):
    path = str(tmp_path / "ev.sqlite")
    open_store(path).close()  # the callback created it and wrote nothing
    assert [p["problem"] for p in actions.verify_store(path)["problems"]] == ["empty"]
    assert actions.verify_store(path, allow_empty=True)["verified"]
    finished_run(path)
    assert [p["problem"] for p in actions.verify_store(path, run_id="nope")["problems"]] == ["missing_run"]


def test_the_store_is_read_the_way_the_callback_reads_it(tmp_path, monkeypatch):
    monkeypatch.setenv("EVERYLAYER_EVIDENCE_STORE", str(tmp_path / "from-env.sqlite"))
    assert actions.resolve_store(None) == str(tmp_path / "from-env.sqlite")
    assert actions.resolve_store("/x/task.sqlite") == "/x/task.sqlite"


class TestPreflight:
    @pytest.fixture(autouse=True)
    def _clean(self, monkeypatch, tmp_path):
        monkeypatch.delenv(config.ACTIVE_ENV, raising=False)
        monkeypatch.setenv("EVERYLAYER_EVIDENCE_STORE", str(tmp_path / "ev.sqlite"))
        self.path = str(tmp_path / "ev.sqlite")

    def mark(self, monkeypatch, run_id="r1", target=None, recording=True, cause=None, pid=None):
        marker = json.loads(config.active_marker(run_id, target or self.path, recording, cause))
        marker["pid"] = os.getppid() if pid is None else pid
        monkeypatch.setenv(config.ACTIVE_ENV, json.dumps(marker))

    def test_no_callback(self):
        out = actions.preflight()
        assert not out["recording"] and "not enabled" in out["cause"] and out["run_id"] is None

    def test_a_marker_of_another_process_is_not_this_run(self, monkeypatch):
        self.mark(monkeypatch, pid=1)
        assert "not enabled" in actions.preflight()["cause"]

    def test_the_callback_cannot_write(self, monkeypatch):
        self.mark(monkeypatch, recording=False, cause="cannot open the SQLite evidence store /ro/x: read-only")
        assert "cannot write its store: cannot open" in actions.preflight()["cause"]

    def test_another_store(self, monkeypatch, tmp_path):
        self.mark(monkeypatch, target=str(tmp_path / "other.sqlite"))
        assert "another store" in actions.preflight()["cause"]

    def test_no_run_start_of_this_run(self, monkeypatch):
        finished_run(self.path)
        self.mark(monkeypatch, run_id="r-missing")
        assert "no run_start record of run r-missing" in actions.preflight()["cause"]

    def test_recording(self, monkeypatch):
        finished_run(self.path, run_id="r1")
        self.mark(monkeypatch, run_id="r1")
        out = actions.preflight()
        assert out == {"store": self.path, "run_id": "r1", "recording": True, "backend": "sqlite", "cause": None}

    def test_the_same_file_spelt_differently_is_the_same_store(self, monkeypatch, tmp_path):
        finished_run(self.path, run_id="r1")
        self.mark(monkeypatch, run_id="r1")
        monkeypatch.chdir(tmp_path)
        assert actions.preflight("./ev.sqlite")["recording"]
        assert actions.preflight(f"sqlite://{self.path}")["recording"]

    def test_not_writable(self, monkeypatch):
        finished_run(self.path, run_id="r1")
        self.mark(monkeypatch, run_id="r1")
        os.chmod(self.path, 0o400)
        try:
            if os.access(self.path, os.W_OK):
                pytest.skip("root writes read-only files")
            assert "not writable" in actions.preflight()["cause"]
        finally:
            os.chmod(self.path, 0o600)


def test_csv_cells_cannot_start_a_formula():
    evil = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    row = dict.fromkeys(
        ("recorded_at", "run_id", "host", "kind", "layer", "change_kind", "before", "severity", "task"), "a"
    )
    rows = [dict(row, seq=1, component=value, after=value, advisories=[value], failed=False) for value in evil]
    parsed = list(csv.DictReader(io.StringIO(to_csv({"changes": rows}))))
    for planted, line in zip(evil, parsed, strict=True):
        value = planted.replace("\r", "\n")  # a bare CR becomes a line break inside the quoted cell
        assert line["component"] == "'" + value and line["after"] == "'" + value
        assert line["advisories"] == "'" + value
    assert (
        list(csv.DictReader(io.StringIO(to_csv({"changes": [dict(rows[0], component="1.2-3")]}))))[0]["component"]
        == "1.2-3"
    )


def test_planted_secrets_reach_no_record_and_no_report(tmp_path):
    """Secrets planted in every path a record takes; the store file and every report format are grepped."""
    path = str(tmp_path / "ev.sqlite")
    rec = Recorder(target=path, run_id="r-secrets")
    rec.start({"user": "alice", "awx": {"awx_host": "https://ops:Pl4nt-Meta@awx.example"}})
    secrets = ("Pl4nt-NoLog",)
    item = {
        "layer": "network",
        "changes": [{"component": "ios", "before": "17.9", "after": "17.12", "source": "ftp://u:Pl4nt-Chg@f/x.bin"}],
        "rollback": {"strategy": "image", "data": {"rollback_image": "https://adm:Pl4nt-Rb@repo/old.bin"}},
        "msg": "copy from scp://svc:Pl4nt-Msg@repo/x.bin done, enable Pl4nt-NoLog",
        "pending": [{"component": "x", "details": {"baseuri": "https://root:Pl4nt-Pend@bmc"}}],
    }
    rec.intent("sw1", "Upgrade", "everylayer.patch.network_image", "u-1", state="upgraded")
    rec.task_result("sw1", "Upgrade", "a", item, "ok", task_uuid="u-1", secrets=secrets)
    fail = {"msg": "GET https://root:Pl4nt-Fail@bmc/redfish failed; password=Pl4nt-Dsn host=db", "_ignore_errors": True}
    rec.task_result("bmc1", "Update", "a", fail, "failed")
    rec.task_result("bmc2", "Update", "a", {"msg": "https://u:Pl4nt-Unr@bmc2 unreachable"}, "unreachable")
    rec.task_result(
        "sw1", "Gate", "a", {"everylayer_decision": {"kind": "gate", "note": "https://a:Pl4nt-Dec@x"}}, "ok"
    )
    rec.run_end({})
    rec.close()
    rep = actions.write_report(str(tmp_path / "rep"), ["html", "json", "csv"], path)
    blobs = [open(p, "rb").read() for p in rep["paths"].values()]
    for suffix in ("", "-wal"):
        if os.path.exists(path + suffix):
            blobs.append(open(path + suffix, "rb").read())
    for planted in ("Meta", "Chg", "Rb", "Msg", "NoLog", "Pend", "Fail", "Dsn", "Unr", "Dec"):
        for blob in blobs:
            assert f"Pl4nt-{planted}".encode() not in blob, planted
    with open_store(path, readonly=True) as db:
        change = next(r for r in db.records() if r.kind == "change")
    assert change.data["changes"][0]["source"] == "ftp://u:********@f/x.bin"


def test_a_host_lost_mid_patch_task_is_unknown_not_unchanged(store_target):
    """dnf went on upgrading after the ssh session died: 'unreachable' says nothing about what changed."""
    rec = Recorder(target=store_target, run_id="run-lost")
    rec.start({})
    rec.intent("web1", "Patch", "everylayer.patch.packages", "u-1", state="patched")
    rec.task_result(
        "web1", "Patch", "everylayer.patch.packages", {"msg": "ssh: closed"}, "unreachable", task_uuid="u-1"
    )
    rec.task_result("web2", "Ping", "ansible.builtin.ping", {"msg": "ssh: closed"}, "unreachable")
    rec.run_end({})
    rec.close()
    with open_store(store_target, readonly=True) as db:
        run = list(db.records())
    assert gate_view(run, run, ["web1", "web2"])["outcomes"] == {"web1": "unknown", "web2": "unchanged"}
    result = actions.verify_store(store_target)
    assert [p["problem"] for p in result["problems"]] == ["unknown"] and result["interrupted_runs"] == []


def test_a_scan_with_the_default_state_reconciles_too(store_target):
    """packages defaults to state=scanned: a scan task that does not spell it out still reconciles."""
    killed_run(store_target)
    rec = Recorder(target=store_target, run_id="run-scan")
    rec.start({})
    scan = {"layer": "os", "changes": [], "pending": PENDING}
    rec.task_result("web1", "Scan", "everylayer.patch.packages", scan, "ok", task_args={})
    rec.close()
    with open_store(store_target, readonly=True) as db:
        reconcile = [r for r in db.records() if r.kind == "reconcile"]
    assert len(reconcile) == 1 and reconcile[0].data["changed_outside"] == []  # nothing applied: all still pending


def test_a_scan_is_not_a_patch(store_target):
    """A scan's change record (no changes, state scanned) leaves the host untouched in the gate, not patched."""
    rec = Recorder(target=store_target, run_id="run-scan-only")
    rec.start({})
    scan = {"layer": "os", "changes": [], "pending": PENDING}
    rec.task_result("web1", "Scan", "everylayer.patch.packages", scan, "ok", task_args={"state": "scanned"})
    rec.task_result("web2", "Scan", "everylayer.patch.firmware", scan, "ok", task_args={})
    rec.task_result(
        "web3",
        "Patch",
        "everylayer.patch.packages",
        {"layer": "os", "changes": []},
        "ok",
        task_args={"state": "patched"},
    )
    rec.close()
    with open_store(store_target, readonly=True) as db:
        run = list(db.records())
    outcomes = gate_view(run, run, ["web1", "web2", "web3"])["outcomes"]
    assert outcomes == {"web1": "untouched", "web2": "untouched", "web3": "patched"}  # web3: already compliant
