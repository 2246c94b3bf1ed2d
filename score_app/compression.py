"""Compressed answers: pages, JSON, CSS, JS and SVG of some size, in Brotli for browsers that take
it and gzip for the others. Flask-Compress does the work; compress_response decides what it may
touch."""

from flask import Flask, Response
from flask_compress import Compress

# Text that shrinks to a fraction; PDFs, spreadsheets, ZIPs and photos are compressed already.
COMPRESSED_TYPES = (
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
)
SETTINGS = {
    "COMPRESS_MIMETYPES": list(COMPRESSED_TYPES),
    "COMPRESS_ALGORITHM": ["br", "gzip"],  # Brotli first when the browser likes both as much
    # Brotli 5 makes the main pages 5 to 20 % smaller than gzip 6 in about the same time (about
    # a millisecond for 40 KB); Brotli 11 saves some 14 % more at 40 to 90 times the time
    # (bench/results/pages.md).
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    # Below about one TCP packet, compressing saves no round trip.
    "COMPRESS_MIN_SIZE": 1400,
    # A streamed answer (the import's progress, CSV and XLSX exports) is sent as it is written;
    # a compressor would hold its pieces back.
    "COMPRESS_STREAMS": False,
}
# A file read whole to be compressed; static files are a few KB.
MAX_FILE_BYTES = 1_000_000

compress = Compress()


def init_app(app: Flask) -> None:
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    app.config["COMPRESS_REGISTER"] = False  # compress_response below decides first
    compress.init_app(app)
    app.after_request(compress_response)


def compress_response(response: Response) -> Response:
    """after_request: compress the response if the browser accepts it and Flask-Compress's
    settings allow (type, size, status, no Content-Encoding yet, not streamed), and never a
    part of a file (206): a byte range means bytes of the file as stored. A text file sent
    from disk, which Flask sends as a stream, is read whole so it can be compressed."""
    response.vary.add("Accept-Encoding")  # caches keep the compressed and plain answers apart
    if response.status_code == 206:
        return response
    if "Content-Encoding" in response.headers:
        return response  # compressed already, by whoever made it
    if _is_text_file(response):
        response.direct_passthrough = False
        response.make_sequence()
    response = compress.after_request(response)
    if "Content-Encoding" in response.headers:
        # Ranges would count bytes of the compressed answer, which is made anew each time.
        response.headers.pop("Accept-Ranges", None)
    return response


def _is_text_file(response: Response) -> bool:
    return (
        response.direct_passthrough
        and response.status_code == 200
        and response.mimetype in COMPRESSED_TYPES
        and response.content_length is not None
        and response.content_length <= MAX_FILE_BYTES
    )
