# One image for both services; the command chooses which one runs.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
# Bytecode compiled at build time: with PYTHONDONTWRITEBYTECODE each start would compile every module.
RUN uv sync --frozen --no-dev --compile-bytecode && python -m compileall -q src && useradd --system kanban
USER kanban
ENV PATH="/app/.venv/bin:$PATH"
EXPOSE 8000 8001
CMD ["kanban", "api", "--migrate"]
