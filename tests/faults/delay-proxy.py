#!/usr/bin/env python3
"""delay-proxy.py — a TCP relay that holds every chunk DELAY_MS before passing it on, in each
direction, in order: DELAY_MS each way is twice that round trip. run-slowdb.sh puts it between
the server and PostgreSQL when the kernel has no netem qdisc (sch_netem). The delay is read from
DELAY_FILE before each chunk, so the test can make the database fast again without cutting the
connections.
    delay-proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_FILE
"""
import asyncio
import sys
import time


def delay_s(path):
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip() or 0) / 1000.0
    except (OSError, ValueError):
        return 0.0


async def pump(reader, writer, path):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, chunk = await queue.get()
            if chunk is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        writer.close()

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            queue.put_nowait((time.monotonic() + delay_s(path), chunk))
    except ConnectionError:
        pass
    queue.put_nowait((0, None))
    try:
        await sender
    except ConnectionError:
        pass


async def main():
    port, host, target_port, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]

    async def serve(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer, path),
                             pump(server_reader, client_writer, path))

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
