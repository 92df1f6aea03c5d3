"""aiohttp's web server: python3 aiohttp_app.py PORT."""
import sys

from aiohttp import web

import endpoints


async def items(request):
    return web.json_response(endpoints.items(int(request.match_info["n"])))


async def compute(request):
    return web.json_response(endpoints.compute(int(request.match_info["n"])))


async def users(request):
    return web.json_response(endpoints.user(int(request.match_info["uid"])))


def make_app():
    app = web.Application()
    app.add_routes([web.get("/items/{n}", items), web.get("/compute/{n}", compute),
                    web.get("/users/{uid}", users)])
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None,
                access_log=None)
