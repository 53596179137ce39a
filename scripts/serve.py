#!/usr/bin/env python3
"""Serve the repository (or the folder given after the port) on localhost: the demo, the pages,
the model files, pkg/. Every response allows any origin, as a CDN does, so that a page on one
origin can embed the widget and load the model from another. With SERVE_ISOLATED=1 the pages are
also cross-origin isolated (COOP/COEP), which threaded WebAssembly needs (benches/compare.sh)."""
import http.server
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".bpk": "application/octet-stream",
        ".svg": "image/svg+xml",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=os.environ.get("SERVE_DIR", ROOT), **kwargs)

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Access-Control-Allow-Origin", "*")
        if os.environ.get("SERVE_ISOLATED"):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "cross-origin")
        super().end_headers()

    def log_message(self, fmt, *args):
        if os.environ.get("SERVE_QUIET"):
            return
        super().log_message(fmt, *args)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    if len(sys.argv) > 2:
        os.environ["SERVE_DIR"] = os.path.abspath(sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"serving the step verifier on http://localhost:{port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
