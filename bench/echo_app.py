#!/usr/bin/env python3
"""echo_app.py - the aiohttp twin of apps/echo's POST /echo, the baseline
bench/platform compares asyncd's request bodies against.

    python3 bench/echo_app.py HOST PORT [uvloop]

POST /echo answers the request's body, whole, with its Content-Type, as
apps/echo does.  With "uvloop", the event loop is uvloop's (Debian's
python3-uvloop).  Access log off, the backlog asyncd uses.
"""
import sys

from aiohttp import web


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: echo_app.py HOST PORT [uvloop]")
    host, port = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[3] == "uvloop":
        import uvloop
        uvloop.install()

    async def echo(request):
        body = await request.read()
        return web.Response(body=body, content_type=request.content_type)

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_route('POST', '/echo', echo)
    web.run_app(app, host=host, port=port, access_log=None, print=None,
                backlog=4096)


if __name__ == '__main__':
    main()
