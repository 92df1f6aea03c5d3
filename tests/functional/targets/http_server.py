"""A threaded HTTP server (http.server.ThreadingHTTPServer: a thread per connection) on an
ephemeral port of 127.0.0.1; prints the port, then serves until killed. Each request does a
little Python work, so that the handler threads have stacks to sample."""
import http.server
import json


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps([{"n": i, "s": str(i) * 3} for i in range(200)]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
