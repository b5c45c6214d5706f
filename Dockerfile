# One image for every web instance: `triage serve` with DATABASE_URL and REDIS_URL set.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY knowledge_base ./knowledge_base
COPY merchant ./merchant
COPY actions ./actions
COPY bot ./bot
COPY handoff ./handoff
COPY learning ./learning
COPY reports ./reports
COPY staff ./staff
COPY triage ./triage
RUN pip install --no-cache-dir .
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["triage", "serve", "--host", "0.0.0.0", "--port", "8000"]
