"""The process `kanban up` becomes once the databases are ready: the supervisor alone.

`kanban up` migrates both databases with Alembic and SQLAlchemy, which stay resident in a process
once imported (about 90 MiB). It then replaces its own image with this module (`os.execve`, the same
pid, signals and terminal), which imports nothing but the supervisor, so the process that only
watches two children holds about 12 MiB. The children's environment (with the env file's secrets)
is this process's environment, never its command line, which every local user can read.

    python -m kanban.cli.supervise api worker
"""

from __future__ import annotations

import os
import sys

from kanban.cli.supervisor import ChildSpec, Supervisor


def main(services: list[str]) -> int:
    children = [ChildSpec(s, [sys.executable, "-m", "kanban.cli.main", s], dict(os.environ)) for s in services]
    failure = Supervisor(children).run()
    if failure:
        print(f"kanban: error: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
