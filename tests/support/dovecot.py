"""A private dovecot IMAP server on a free loopback port, with a temp config and mail dir (nothing global changes)."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.processes import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "capture", "capture-secret"

_CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={internal} gid={group} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def dovecot_available() -> bool:
    return Path(DOVECOT).exists()


class DovecotServer:
    """Its files live in a fresh directory under the system temp dir: dovecot's own users must reach them."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kanban-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.user, self.password = USER, PASSWORD
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    def start(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # dovecot refuses root for its own processes: use the package's users
            internal, group, login = "dovecot", "dovecot", "dovenull"
        else:
            internal = login = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
        config = self.root / "dovecot.conf"
        config.write_text(_CONFIG.format(root=self.root, internal=internal, group=group, login=login, port=self.port))
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        if os.geteuid() == 0:
            shutil.chown(self.root / "mail", internal, group)
        self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def _client(self, folder: str = "INBOX") -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port)
        client.login(self.user, self.password)
        client.select(folder)
        return client

    def create_folder(self, folder: str) -> None:
        client = self._client()
        try:
            status, data = client.create(folder)
            assert status == "OK", data
        finally:
            client.logout()

    def deliver(self, raw: bytes, folder: str = "INBOX") -> int:
        """Append a message to `folder`, unseen; returns its UID."""
        client = self._client(folder)
        try:
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
            text = data[0].decode() if data and isinstance(data[0], bytes) else ""
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        finally:
            client.logout()

    def seen_uids(self, folder: str = "INBOX") -> set[int]:
        client = self._client(folder)
        try:
            _, data = client.uid("SEARCH", "SEEN")
            return {int(x) for x in (data[0] or b"").split()}
        finally:
            client.logout()
