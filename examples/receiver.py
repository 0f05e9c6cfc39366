"""A stand-in for a helpdesk, for trying webhooks on your own machine.

It answers every POST with the ticket of the Help Center's example and
prints what it received: the request line, the headers and the body.
Python 3 standard library only.

    python3 examples/receiver.py          # listens on 127.0.0.1:9999
    python3 examples/receiver.py 9998     # another port (0: any free one)
"""

import http.server
import sys

TICKET = b"""{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, "priority": "low", "status": "open", "external_id": null}}"""


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        print(f"{self.command} {self.path}", flush=True)
        for name, value in self.headers.items():
            print(f"{name}: {value}", flush=True)
        print(f"\n{body}\n", flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(TICKET)))
        self.end_headers()
        self.wfile.write(TICKET)

    def log_message(self, format, *args):
        # The request is printed in full above; the default access line
        # would only repeat it.
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9999
    server = http.server.HTTPServer(("127.0.0.1", port), Receiver)
    # Port 0 picks a free port: the line names the one taken.
    print(f"receiver listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
