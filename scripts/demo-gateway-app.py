"""The app behind the gateway in `npm run demo -- --gateway`: a plain Python web app that knows
nothing of AWS or of iam-auth-proxy. The gateway in front of it signs people in and tells it who
is calling in the X-Forwarded-User header (the caller's IAM ARN); the app only reads it.

    /usr/bin/python3 scripts/demo-gateway-app.py [PORT]   # prints "listening url=http://127.0.0.1:PORT"

Reading the header is safe here because only the gateway can reach this app's port, and the
gateway removes any copy of it a client sent. An app that others could reach directly must
check the signed assertion in X-Iam-Auth-Assertion instead (see the README's gateway section).
"""
import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HelloHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        caller = self.headers.get("X-Forwarded-User")
        if caller is None:
            status, text = 403, "Nobody signed in: reach this app through the gateway.\n"
        else:
            status, text = 200, "Hello %s\n" % caller
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write("request %s\n" % (format % args))


parser = argparse.ArgumentParser(description="Says hello to whoever the gateway signed in.")
parser.add_argument("port", type=int, nargs="?", default=0, help="port on 127.0.0.1 (default: any free one)")
port = parser.parse_args().port
# Loopback only: the gateway is the app's only client.
server = ThreadingHTTPServer(("127.0.0.1", port), HelloHandler)
print("listening url=http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
