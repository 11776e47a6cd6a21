"""Gunicorn settings for production: `gunicorn -c perer/gunicorn.conf.py perer.wsgi`."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# PDF rendering of the largest protocol takes seconds the first time; then it is cached.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
