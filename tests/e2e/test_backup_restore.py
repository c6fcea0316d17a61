"""`kanban backup` while 20 clients write to a running `kanban up`, then `kanban restore` on a stopped
system: the restored system passes `kanban doctor` and holds every task committed before the backup."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from kanban.ops.errors import BackupError
from kanban.ops.restore import restore_backup
from tests.support.processes import free_port, run_cli
from tests.support.settings import CHEAP_ARGON2

pytestmark = pytest.mark.e2e
CLIENTS = 20


def _up(data_dir: Path, api_port: int, worker_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **CHEAP_ARGON2}
    args = ["up", "--data-dir", str(data_dir), "--api-port", str(api_port), "--worker-port", str(worker_port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kanban.cli.main", *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    for port in (api_port, worker_port):
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"KANBAN_DATA_DIR": str(data_dir)}, timeout=120)


def test_a_backup_taken_under_writes_restores_into_a_system_that_passes_doctor(tmp_path: Path) -> None:
    source, target = tmp_path / "live", tmp_path / "restored"
    api_port, worker_port = free_port(), free_port()
    up = _up(source, api_port, worker_port, tmp_path / "up.log")
    base = f"http://127.0.0.1:{api_port}/api/v1"
    try:
        reply = httpx.post(f"{base}/auth/register", json={"email": "me@example.test", "password": "a good password"})
        headers = {"Authorization": f"Bearer {reply.json()['accessToken']}"}
        board = httpx.get(f"{base}/boards/default", headers=headers).json()["id"]
        acked: list[tuple[float, str]] = []
        stop = threading.Event()

        def write(n: int) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                i = 0
                while not stop.is_set():
                    r = client.post(f"/boards/{board}/tasks", json={"title": f"client {n} task {i}"})
                    assert r.status_code == 201, r.text
                    acked.append((time.monotonic(), r.json()["id"]))
                    i += 1

        writers = [threading.Thread(target=write, args=(n,)) for n in range(CLIENTS)]
        for w in writers:
            w.start()
        while len(acked) < 100:
            time.sleep(0.05)
        started = time.monotonic()
        archive = tmp_path / "backup.tar.gz"
        backed_up = _cli(source, "backup", "--data-dir", str(source), "--out", str(archive))
        assert backed_up.returncode == 0, backed_up.stderr
        time.sleep(0.3)  # writes go on after the backup too
        stop.set()
        for w in writers:
            w.join(60)
        assert all(not w.is_alive() for w in writers)
        with pytest.raises(BackupError, match="stop"):  # the services run: refused, even with --force
            restore_backup(archive, source, force=True)
    finally:
        _stop(up)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["kanban.env", "kanban_api.db", "kanban_worker.db", "manifest.json"]
    before_backup = {task_id for at, task_id in acked if at < started}
    assert len(before_backup) >= 100

    (target / "kanban.env").parent.mkdir()
    (target / "kanban.env").write_text("# something already here\n")
    with pytest.raises(BackupError, match="--force"):
        restore_backup(archive, target)
    restored = _cli(target, "restore", str(archive), "--data-dir", str(target), "--force")
    assert restored.returncode == 0, restored.stderr
    assert stat.S_IMODE((target / "kanban.env").stat().st_mode) == 0o600

    db = sqlite3.connect(target / "kanban_api.db")
    ids = {row[0] for row in db.execute("SELECT id FROM tasks")}
    logged = {row[0] for row in db.execute("SELECT task_id FROM task_events WHERE type = 'created'")}
    db.close()
    assert before_backup <= ids, f"{len(before_backup - ids)} committed tasks are missing"
    assert ids <= {task_id for _, task_id in acked}
    assert logged == ids  # each task with its history row: one transaction, one snapshot

    api_port, worker_port = free_port(), free_port()
    up = _up(target, api_port, worker_port, tmp_path / "up-restored.log")
    try:
        doctor = _cli(target, "doctor")
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        # The restored secrets keep the old session valid; the API serves every restored task.
        page = httpx.get(
            f"http://127.0.0.1:{api_port}/api/v1/boards/{board}/tasks", headers=headers, params={"limit": 1}
        )
        assert page.status_code == 200 and page.json()["total"] == len(ids)
    finally:
        _stop(up)
