"""A plain asyncio HTTP/1.1 server (asyncio.start_server, keep-alive, no dependency):
python3 asyncio_server.py PORT."""
import asyncio
import json
import sys

import endpoints

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found"}


async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            method, path, _ = line.decode("latin-1").split(" ", 2)
            length, close = 0, False
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            if length:
                await reader.readexactly(length)
            status, body = endpoints.route(path)
            data = json.dumps(body).encode()
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % (status, REASONS[status].encode(), len(data))
                         + data)
            await writer.drain()
            if close:
                break
    except (ConnectionError, ValueError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
