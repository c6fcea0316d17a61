"""`kanban migrate split`: copy a legacy database into the API and Worker databases, resumably.

Order of work: reuse or take a backup; read the source in one snapshot and check it still matches
the backup; bring both targets to head; then table by table, batch by batch, map the rows, write
them with the events that seed the Worker's read model and the batch's checkpoint in one commit.
Steps whose rules SQL states are mapped by the legacy server and copied as bytes (server_copy).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table

from kanban.api import tables as api_tables
from kanban.db.async_core import AsyncEngine
from kanban.db.urls import DatabaseUrl
from kanban.messaging.cancelling import cancel_and_wait
from kanban.ops.concurrently import all_of
from kanban.ops.errors import InvalidRows, SourceChanged, TargetNotEmpty
from kanban.ops.legacy.checksums import digest_of, table_checksums
from kanban.ops.legacy.context import LegacyContext, load_context
from kanban.ops.legacy.findings import RULES, Findings, InvalidRow
from kanban.ops.legacy.report import SplitReport, StepReport
from kanban.ops.legacy.source import LegacySource, connect_source
from kanban.ops.migrate import checkpoint
from kanban.ops.migrate.backup import default_backup_path, take_backup
from kanban.ops.migrate.bulk_load import finish_load, prepare_for_load
from kanban.ops.migrate.checkpoint import StepState
from kanban.ops.migrate.expected import ExpectedTables
from kanban.ops.migrate.gc_pace import fewer_collections
from kanban.ops.migrate.manifest import Manifest, compare, manifest_path
from kanban.ops.migrate.progress import Progress, SilentProgress
from kanban.ops.migrate.server_copy import ServerCopy
from kanban.ops.migrate.steps import Mapper, Step, ignored_worker_tables, steps_for
from kanban.ops.migrate.targets import check_distinct, open_target, rows_in, upgrade_to_head
from kanban.ops.migrate.writer import copy_text, insert_rows, update_rows

SERVER_COPY_BATCH_FACTOR = 10


@dataclass(frozen=True)
class SplitOptions:
    source: DatabaseUrl
    api: DatabaseUrl
    worker: DatabaseUrl
    backup: Path | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    batch_size: int = 5000
    report: Path | None = None
    portable_backup: bool = False


@dataclass
class _Run:
    run_id: str
    source: LegacySource
    ctx: LegacyContext
    engines: dict[str, AsyncEngine] | None  # None in a dry run
    opts: SplitOptions
    progress: Progress
    sink: ExpectedTables | None = None  # set: only map, for verify; no events are built
    usable: dict[str, bool] = field(default_factory=dict)  # per step: its server copy's check of the whole table


async def split(opts: SplitOptions, progress: Progress) -> SplitReport:
    check_distinct(opts.source, opts.api, opts.worker)
    # Fail on an unreachable source before touching anything else.
    await (await connect_source(opts.source)).close()
    if opts.dry_run:
        return await _dry_run(opts, progress)
    engines = {"api": await open_target(opts.api, "api")}
    try:
        engines["worker"] = await open_target(opts.worker, "worker")
        return await _split(opts, engines, progress)
    finally:
        for engine in engines.values():
            await engine.dispose()


async def _split(opts: SplitOptions, engines: dict[str, AsyncEngine], progress: Progress) -> SplitReport:
    async with engines["api"].connect() as conn:
        previous = await checkpoint.load(conn)
    if previous is not None and opts.backup is None:
        backup = Path(previous.info["backup"])
    else:
        backup = opts.backup or default_backup_path(opts.source)
    if previous is None:
        for service, db in (("api", opts.api), ("worker", opts.worker)):
            await _refuse_data(engines[service], service, db)
    manifest = await _reuse_or_take_backup(opts, backup, progress)
    if previous is not None and previous.run_id != manifest.snapshot_id:
        raise TargetNotEmpty(
            f"{opts.api.redacted()} holds an unfinished split from backup {previous.info['backup']}; "
            "rerun with that --backup, or start over with empty databases"
        )
    source = await LegacySource.open(opts.source)
    try:
        # The source's checksums, the targets' migrations and the reading of the run's context go on
        # at once: the waits are on different databases, or on connections sharing one snapshot.
        reader = await source.sharing_snapshot()
        try:
            context = asyncio.create_task(load_context(reader))
            await all_of(_check_unchanged(source, manifest), _upgrade_targets(opts), context)
        finally:
            await reader.close()  # here, not in the task: a task cancelled before it starts runs no finally
        info: dict[str, Any] = previous.info if previous else {"backup": str(backup), "worker_done": False}
        records = {}
        for service in ("api", "worker"):
            async with engines[service].begin() as conn:
                record = await checkpoint.load(conn)
                if record is None:
                    await checkpoint.create(conn)
                    await checkpoint.start_run(conn, manifest.snapshot_id, info)
                records[service] = record
        states = {
            **(records["api"].steps if records["api"] else {}),
            **(records["worker"].steps if records["worker"] else {}),
        }
        states.update({name: _state_from_json(s) for name, s in info.get("worker_steps", {}).items()})
        tables = _written_tables(steps_for(source.layout))
        for service, engine in engines.items():
            async with engine.begin() as conn:
                await prepare_for_load(conn, tables[service])
        run = _Run(manifest.snapshot_id, source, context.result(), engines, opts, progress)
        report = await _run_steps(run, states, str(backup), info)
    finally:
        await source.close()
    progress.message("Building indexes and checking foreign keys")

    report_path = opts.report or _report_path(backup)

    async def write_listing() -> None:
        async with engines["api"].connect() as conn:  # holds the Worker's listed rows too (see _run_steps)
            listed = functools.partial(checkpoint.copy_listing, conn, manifest.snapshot_id, RULES)
            await report.write_listing(listing_path(report_path), listed)

    # Each database builds its own indexes, and the listing is written meanwhile: none waits for another.
    try:
        await all_of(*(finish_load(engines[s], tables[s]) for s in ("api", "worker")), write_listing())
    except BaseException:
        listing_path(report_path).unlink(missing_ok=True)  # a listing goes with a report only
        raise
    report.write(report_path)
    # Worker first: the API record says whether the Worker's steps are done.
    async with engines["worker"].begin() as conn:
        await checkpoint.drop(conn)
    async with engines["api"].begin() as conn:
        await checkpoint.drop(conn)
    return report


async def _dry_run(opts: SplitOptions, progress: Progress) -> SplitReport:
    """Everything but the writes: reads, maps, builds the events, checks the targets could take them."""
    for service, db in (("api", opts.api), ("worker", opts.worker)):
        if db.is_sqlite and not Path(db.database).exists():  # noqa: ASYNC240 - one stat, before any I/O
            continue
        engine = await open_target(db, service)
        try:
            await _refuse_data(engine, service, db)
        finally:
            await engine.dispose()
    source = await LegacySource.open(opts.source)
    try:
        if opts.backup is not None and manifest_path(opts.backup).exists():
            await _check_unchanged(source, Manifest.read(opts.backup))
        run = _Run("dry-run", source, await load_context(source), None, opts, progress)
        return await _run_steps(run, {}, str(opts.backup) if opts.backup else None, {})
    finally:
        await source.close()


async def map_source(source_url: DatabaseUrl, sink: ExpectedTables) -> SplitReport:
    """Run the source through the mapping into `sink`, leaving out invalid rows as --skip-invalid does."""
    opts = SplitOptions(source_url, source_url, source_url, dry_run=True, skip_invalid=True)
    source = await LegacySource.open(source_url)
    try:
        run = _Run("verify", source, await load_context(source), None, opts, SilentProgress(), sink)
        return await _run_steps(run, {}, None, {})
    finally:
        await source.close()


async def _run_steps(run: _Run, states: dict[str, StepState], backup: str | None, info: dict[str, Any]) -> SplitReport:
    layout = run.source.layout
    report = SplitReport(layout.name, run.run_id, backup, run.engines is None)
    steps = steps_for(layout)
    for step in steps:
        for row_id, _reason in states.get(step.name, StepState()).findings.invalid:
            if step.kind:
                run.ctx.skip(step.kind, row_id)
    with fewer_collections():
        done = await _run_all(run, steps, states)
    for step in steps:
        state = done[step.name]
        report.steps.append(
            StepReport(step.name, f"{step.schema}.{step.table}", state.rows_read, state.rows_written, state.findings,
                       state.rows_written if step.seed else 0)
        )  # fmt: skip
    if run.engines is not None and not info.get("worker_done"):
        # The Worker's checkpoint is dropped first at the end; the API record keeps its results.
        worker_steps = {s.step: _state_to_json(s) for s in report.steps if _service(steps, s.step) == "worker"}
        # The Worker's listed rows move into the API record with it, so the listing survives the
        # Worker checkpoint being dropped before the API's.
        async with run.engines["worker"].connect() as conn:
            worker_rows = await checkpoint.listed_rows(conn, run.run_id)
        async with run.engines["api"].begin() as conn:
            await checkpoint.update_run(conn, run.run_id, {**info, "worker_done": True, "worker_steps": worker_steps})
            await checkpoint.add_listed_rows(conn, run.run_id, worker_rows)
    for table in ignored_worker_tables(layout):
        n = await run.source.count("worker", table)
        if n:
            report.ignored[f"worker.{table}"] = n
    return report


async def _run_all(run: _Run, steps: list[Step], states: dict[str, StepState]) -> dict[str, StepState]:
    """Run `steps` in their order; the server-copied ones, when they can, on a second connection meanwhile.

    A server copy reads only the legacy snapshot and writes only its own table, and the foreign keys
    are checked once at the end: its one dependence on the steps before it is that no parent row was
    left out. A run without --skip-invalid leaves none out (an invalid row fails it), so then the
    copies (PostgreSQL-bound) run beside the mapped steps (bound by this process's CPU), each batch
    still committed with its own checkpoint.
    """
    beside = await _copies_beside(run, steps)
    done: dict[str, StepState] = {}
    side: asyncio.Task[dict[str, StepState]] | None = None
    side_source: LegacySource | None = None
    if beside:
        side_source = await run.source.sharing_snapshot()
        side = asyncio.create_task(_run_beside(run, beside, states, side_source))
    try:
        for step in steps:
            if step not in beside:
                done[step.name] = await _run_step(run, step, states.get(step.name, StepState()))
            if side is not None and side.done() and side.exception() is not None:
                break  # the copies failed: awaiting them below raises why
        if side is not None:
            done.update(await side)
    finally:
        if side is not None and not side.done():
            await cancel_and_wait(side)
        if side_source is not None:
            await side_source.close()  # here, not in the task: a task cancelled before it starts runs no finally
    return done


async def _copies_beside(run: _Run, steps: list[Step]) -> list[Step]:
    if run.opts.skip_invalid:
        return []  # a row left out later would have children in a copy made meanwhile
    return [step for step in steps if step.server_copy is not None and await _server_copy(run, step) is not None]


async def _run_beside(
    run: _Run, steps: list[Step], states: dict[str, StepState], source: LegacySource
) -> dict[str, StepState]:
    beside = _Run(run.run_id, source, run.ctx, run.engines, run.opts, run.progress.alongside(), run.sink, run.usable)
    return {step.name: await _run_step(beside, step, states.get(step.name, StepState())) for step in steps}


async def _run_step(run: _Run, step: Step, state: StepState) -> StepState:
    """Reading and mapping the next batch overlaps with writing this one: a small queue sits between them."""
    total = await run.source.count(step.schema, step.table)
    run.progress.start(step.name, total, state.rows_read)
    queue: asyncio.Queue[_Batch | BaseException | None] = asyncio.Queue(maxsize=2)
    producer = asyncio.create_task(_produce(run, step, state, queue))
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            if run.engines is not None:
                async with run.engines[step.service].begin() as conn:
                    # The checkpoint goes first: it opens the transaction the COPY then joins.
                    await checkpoint.save(conn, run.run_id, step.name, item.state)
                    if item.copied is not None:
                        await copy_text(conn, step.target, *item.copied)
                    elif step.update_key:
                        await update_rows(conn, step.target, step.update_key, item.rows)
                    else:
                        await insert_rows(conn, step.target, item.rows)
                    # The seeding events go in with the same COPY path as the rows they announce.
                    await insert_rows(conn, api_tables.messaging.outbox, item.outbox)
            state = item.state
            run.progress.advance(item.read)
    finally:
        await cancel_and_wait(producer)
    run.progress.finish()
    return state


@dataclass
class _Batch:
    state: StepState  # the checkpoint once this batch is committed
    rows: list[dict[str, Any]]
    outbox: list[dict[str, Any]]  # the seeding events of the batch's rows
    read: int
    copied: tuple[tuple[str, ...], bytes] | None = None  # (columns, COPY text) from a server-side copy


async def _produce(
    run: _Run, step: Step, state: StepState, queue: asyncio.Queue[_Batch | BaseException | None]
) -> None:
    try:
        copier = await _server_copy(run, step)
        mapper = step.mapper()
        while not state.done:
            batch = await (
                _copied_batch(run, step, copier, state) if copier else _mapped_batch(run, step, mapper, state)
            )
            await queue.put(batch)
            state = batch.state
        await queue.put(None)
    except Exception as exc:  # noqa: BLE001 - handed to the writer, which raises it
        await queue.put(exc)


async def _server_copy(run: _Run, step: Step) -> ServerCopy | None:
    """The step's server-side copy, when it writes exactly what the mapper would (see server_copy)."""
    copier = step.server_copy
    if copier is None or run.engines is None or run.sink is not None or run.ctx.skipped:
        return None
    if run.engines[step.service].dialect.name != "postgresql":
        return None
    if step.name not in run.usable:  # a full scan of the table: asked once per run
        run.usable[step.name] = await copier.usable(run.source, step.schema, step.table)
    return copier if run.usable[step.name] else None


async def _copied_batch(run: _Run, step: Step, copier: ServerCopy, state: StepState) -> _Batch:
    # No row object is built, so a batch can be larger: fewer batches, fewer per-batch queries.
    size = run.opts.batch_size * SERVER_COPY_BATCH_FACTOR
    upper = await run.source.batch_end(step.schema, step.table, step.key, state.after, size)
    data, count, noted = await copier.copy_batch(run.source, step.schema, step.table, step.key, state.after, upper)
    new = StepState(upper or state.after, state.rows_read + count, state.rows_written + count, state.findings.copy(),
                    upper is None)  # fmt: skip
    for rule, row_id in noted:
        new.findings.note(rule, row_id)
    return _Batch(new, [], [], count, (copier.columns, data))


async def _mapped_batch(run: _Run, step: Step, mapper: Mapper, state: StepState) -> _Batch:
    rows, after, last = await run.source.batch(
        step.schema, step.table, step.key, state.after, run.opts.batch_size, step.order
    )
    new = StepState(after, state.rows_read + len(rows), state.rows_written, state.findings.copy(), last)
    out, bad = [], []
    for row in rows:
        try:
            mapped = mapper(row, run.ctx, new.findings)
        except InvalidRow as exc:
            bad.append((step.row_id(row), str(exc)))
            continue
        if mapped is not None:
            out.append(mapped)
    if bad and not run.opts.skip_invalid:
        raise InvalidRows(step.name, bad)
    for row_id, reason in bad:
        new.findings.reject(row_id, reason)
        if step.kind:
            run.ctx.skip(step.kind, row_id)
    new.rows_written += len(out)
    if run.sink is not None:
        run.sink.add(step, out)
    seed = step.seed if run.sink is None else None
    outbox = await seed(out, run.run_id, source=run.source, ctx=run.ctx) if seed else []
    return _Batch(new, out, outbox, len(rows))


async def _reuse_or_take_backup(opts: SplitOptions, backup: Path, progress: Progress) -> Manifest:
    if manifest_path(backup).exists():
        progress.message(f"Reusing backup {backup}")
        return Manifest.read(backup)
    progress.message(f"Taking a backup of {opts.source.redacted()} into {backup}")
    manifest = await take_backup(opts.source, backup, portable_format=opts.portable_backup)
    progress.message(f"Backup written: {backup} ({manifest.format})")
    return manifest


async def _upgrade_targets(opts: SplitOptions) -> None:
    # One after the other: Alembic's `op` and `context` are module-wide, so two upgrades in one
    # process at once would run each other's operations.
    for service, db in (("api", opts.api), ("worker", opts.worker)):
        await upgrade_to_head(service, db)


async def _check_unchanged(source: LegacySource, manifest: Manifest) -> None:
    if source.layout != manifest.legacy_layout:
        raise SourceChanged(f"the source layout is {source.layout.name}, the backup's is {manifest.layout['name']}")
    problems = compare(
        manifest.tables,
        await table_checksums(source.conn, source.layout, source.db, digest_of(manifest.tables)),
    )
    if problems:
        raise SourceChanged(
            f"the source changed since backup {manifest.file} ({problems[0]}): stop the services and take a new backup"
        )


async def _refuse_data(engine: AsyncEngine, service: str, db: DatabaseUrl) -> None:
    held = await rows_in(engine, service)
    if held:
        table, n = next(iter(held.items()))
        raise TargetNotEmpty(
            f"the {service} database {db.redacted()} is not empty ({table} has {n} rows): split writes only into empty databases"
        )


def _written_tables(steps: list[Step]) -> dict[str, list[Table]]:
    tables: dict[str, list[Table]] = {"api": [api_tables.messaging.outbox], "worker": []}
    for step in steps:
        if step.target not in tables[step.service]:
            tables[step.service].append(step.target)
    return tables


def _report_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".report.json")


def listing_path(report: Path) -> Path:
    """The full listing beside the report: `<report>.rows.csv` (`x.report.json` -> `x.report.rows.csv`)."""
    stem = report.name.removesuffix(".json")
    return report.with_name(f"{stem}.rows.csv")


def _service(steps: list[Step], name: str) -> str:
    return next(s.service for s in steps if s.name == name)


def _state_to_json(s: StepReport) -> dict[str, Any]:
    return {"rows_read": s.rows_read, "rows_written": s.rows_written, "findings": s.findings.to_json()}


def _state_from_json(data: dict[str, Any]) -> StepState:
    return StepState(None, data["rows_read"], data["rows_written"], Findings.from_json(data["findings"]), True)
