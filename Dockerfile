FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpango-1.0-0 \
      libpangoft2-1.0-0 fonts-dejavu-core nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY OmniCRM-API/pyproject.toml OmniCRM-API/pyproject.toml
COPY OmniCRM-API/omnicrm OmniCRM-API/omnicrm
RUN pip install --no-cache-dir -e OmniCRM-API
COPY . .
RUN cd OmniCRM-UI && npm ci --no-audit --no-fund && npm run build || echo "UI not built"
# The API and every provisioning playbook run as this unprivileged service user, never as root (issue 11).
RUN useradd --system --create-home --home-dir /home/omnicrm --uid 10001 omnicrm && chown -R omnicrm:omnicrm /app
USER omnicrm
ENV HOME=/home/omnicrm
EXPOSE 5000
CMD ["sh", "-c", "omnicrm migrate && gunicorn --workers 2 --threads 8 --bind 0.0.0.0:5000 'omnicrm:create_app()'"]
