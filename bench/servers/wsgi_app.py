"""A plain WSGI app for gunicorn's sync workers: python3 -m gunicorn --chdir DIR wsgi_app:app."""
import json

import endpoints

REASONS = {200: "200 OK", 400: "400 Bad Request", 404: "404 Not Found"}


def app(environ, start_response):
    status, body = endpoints.route(environ.get("PATH_INFO", "/"))
    data = json.dumps(body).encode()
    start_response(REASONS[status], [("Content-Type", "application/json"),
                                     ("Content-Length", str(len(data)))])
    return [data]
