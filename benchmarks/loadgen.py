"""A small HTTP load generator: N concurrent keep-alive clients for D seconds on one URL.

Runs as its own process (the server under test is another process), prints one JSON line:
requests, errors, requests per second, p50 and p95 latency in milliseconds.

    python benchmarks/loadgen.py http://127.0.0.1:8765/ --concurrency 32 --duration 30
"""

import argparse
import http.client
import json
import statistics
import threading
import time
from urllib.parse import urlsplit


def worker(url, deadline, latencies, errors, lock):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    local, local_errors = [], 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                local_errors += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            local_errors += 1
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            continue
        local.append((time.perf_counter() - start) * 1000)
    with lock:
        latencies.extend(local)
        errors[0] += local_errors


def run(url, concurrency, duration):
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + duration
    threads = [
        threading.Thread(target=worker, args=(url, deadline, latencies, errors, lock))
        for _ in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "url": url,
        "concurrency": concurrency,
        "duration_s": round(elapsed, 1),
        "requests": len(latencies),
        "errors": errors[0],
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(quantiles[49], 1),
        "p95_ms": round(quantiles[94], 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=30)
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.concurrency, args.duration)))
