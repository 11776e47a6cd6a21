"""Reading back the flat exports (one row per commitment) the portal streams, CSV or JSON."""

import csv
import io


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response, b"".join(response.streaming_content)


def read_csv(body):
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    text = body.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))
