"""A small HTTP load generator: N concurrent keep-alive clients for D seconds on some URLs.

Several URLs are requested in turn. `--bust` appends a unique `_n=<counter>` parameter to every
request, so that no response can come from a cache (the portal ignores unknown parameters).

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


def worker(urls, deadline, latencies, errors, lock, bust, offset):
    parts = [urlsplit(url) for url in urls]
    paths = [p.path + (f"?{p.query}" if p.query else "") for p in parts]
    host, port = parts[0].hostname, parts[0].port
    connection = http.client.HTTPConnection(host, port, timeout=30)
    local, local_errors, count = [], 0, 0
    while time.perf_counter() < deadline:
        path = paths[(offset + count) % len(paths)]
        count += 1
        if bust:
            path += ("&" if "?" in path else "?") + f"_n={offset}-{count}"
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
            connection = http.client.HTTPConnection(host, port, timeout=30)
            continue
        local.append((time.perf_counter() - start) * 1000)
    with lock:
        latencies.extend(local)
        errors[0] += local_errors


def run(urls, concurrency, duration, bust=False):
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + duration
    threads = [
        threading.Thread(target=worker, args=(urls, deadline, latencies, errors, lock, bust, index))
        for index in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "urls": len(urls),
        "cache_busted": bust,
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
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--bust", action="store_true", help="defeat every cache")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=30)
    args = parser.parse_args()
    print(json.dumps(run(args.urls, args.concurrency, args.duration, args.bust)))
