FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY orchestration_site orchestration_site
COPY api api
COPY plans plans
COPY runs runs
COPY tasks_engine tasks_engine
COPY flows flows
COPY workspace workspace
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir . && python manage.py collectstatic --noinput --settings=orchestration_site.settings || true
RUN useradd --create-home plans && mkdir -p /app/var && chown -R plans /app/var
USER plans
EXPOSE 8000
CMD ["gunicorn", "orchestration_site.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
