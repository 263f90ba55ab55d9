#!/usr/bin/env python3
"""seed_app.py - the seed's aiohttp app, the baseline bench/http compares
asyncd against.

    python3 bench/seed_app.py HOST PORT DELAY

The same two routes as the seed (a Python asyncio/aiohttp tutorial): "/"
answers <h1>Index</h1> and "/hello/{name}" <h1>hello, NAME!</h1>, each after
awaiting asyncio.sleep(DELAY) (the seed hard-codes 0.5 s; bench/http also
runs it with 0 for the throughput runs).  Only the seed's deprecated setup
(web.Application(loop=...), app.make_handler(), loop.create_server()) is
replaced by web.run_app(), with the access log off and the same listen
backlog asyncd uses (SOMAXCONN, 4096 here).  Needs Debian's python3-aiohttp
(run it with /usr/bin/python3).
"""
import asyncio
import sys

from aiohttp import web


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: seed_app.py HOST PORT DELAY")
    host, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

    async def index(request):
        await asyncio.sleep(delay)
        return web.Response(body=b'<h1>Index</h1>')

    async def hello(request):
        await asyncio.sleep(delay)
        text = '<h1>hello, %s!</h1>' % request.match_info['name']
        return web.Response(body=text.encode('utf-8'))

    app = web.Application()
    app.router.add_route('GET', '/', index)
    app.router.add_route('GET', '/hello/{name}', hello)
    web.run_app(app, host=host, port=port, access_log=None, print=None,
                backlog=4096)


if __name__ == '__main__':
    main()
