"""A loopback TCP proxy between the app and PostgreSQL that injects network faults.

Modes (switch at any time with :meth:`FaultProxy.set_mode`):

- ``pass``: bytes flow both ways;
- ``latency``: every chunk is delayed by ``latency`` seconds;
- ``blackhole``: connections stay open but nothing flows (a silent network cut);
- ``reset``: every open connection is closed with a TCP reset, new ones are reset on accept;
- ``drop-after-commit``: the next ``COMMIT`` a client sends reaches the server, the server's
  reply is swallowed and the client's connection is reset: the ambiguous commit. Then ``pass``.

The client side is parsed as PostgreSQL frontend messages (type byte + length) to find a simple
``Query`` whose text is ``COMMIT`` (how asyncpg ends a transaction). Connect with
``sslmode=disable`` so the stream is readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit, urlunsplit

MODES = ("pass", "latency", "blackhole", "reset", "drop-after-commit")
_UNTYPED_REQUESTS = {80877103, 80877104}  # SSLRequest, GSSENCRequest: another untyped follows


@dataclass(eq=False)  # kept in a set: hashed by identity
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def reset(self) -> None:
        for writer in (self.client, self.server):
            sock = writer.get_extra_info("socket")
            if sock is not None:  # SO_LINGER 0: close sends RST, as a dead network path would
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        for task in self.tasks:
            task.cancel()


class FaultProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to a PostgreSQL server's TCP address or
    unix socket (the embedded server listens on a socket only)."""

    def __init__(self, database_url: str) -> None:
        self.url = urlsplit(database_url)
        socket_dir = parse_qs(self.url.query).get("host", [""])[0]
        port = self.url.port or 5432
        self.socket = f"{socket_dir}/.s.PGSQL.{port}" if socket_dir.startswith("/") else None
        self.target = (self.url.hostname or "127.0.0.1", port)
        self.mode = "pass"
        self.latency = 0.0
        self.commits_dropped = 0
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()

    @property
    def database_url(self) -> str:
        """The URL of the same database through the proxy (TCP, no TLS so it can be read)."""
        user = self.url.netloc.rpartition("@")[0]
        netloc = f"{user}@127.0.0.1:{self.port}" if user else f"127.0.0.1:{self.port}"
        return urlunsplit(self.url._replace(netloc=netloc, query="sslmode=disable"))

    @property
    def port(self) -> int:
        """The port clients connect to."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> FaultProxy:
        """Start listening."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        """Stop listening and cut every connection."""
        for link in list(self._links):
            link.reset()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def set_mode(self, mode: str, *, latency: float = 0.0) -> None:
        """Switch mode; ``reset`` cuts every open connection at once."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        self.mode, self.latency = mode, latency
        if mode == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode == "reset":
            for link in list(self._links):
                link.reset()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            _Link(writer, writer).reset()
            return
        try:
            if self.socket is not None:
                server_reader, server_writer = await asyncio.open_unix_connection(self.socket)
            else:
                server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        link = _Link(writer, server_writer)
        self._links.add(link)
        commit_sent = asyncio.Event()
        link.tasks = [
            asyncio.ensure_future(self._client_to_server(reader, link, commit_sent)),
            asyncio.ensure_future(self._server_to_client(server_reader, link, commit_sent)),
        ]
        try:
            # Either side ending ends the link: a server closing after a client's Terminate
            # must close the client too, or the client waits for an EOF that never comes.
            done, _ = await asyncio.wait(link.tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:  # a side's EOF or reset is how a link ends, not an error
                with contextlib.suppress(asyncio.CancelledError):
                    task.exception()
        finally:
            self._links.discard(link)
            link.reset()

    async def _pace(self) -> None:
        await self._flowing.wait()
        if self.mode == "latency" and self.latency:
            await asyncio.sleep(self.latency)

    async def _client_to_server(
        self, reader: asyncio.StreamReader, link: _Link, commit_sent: asyncio.Event
    ) -> None:
        untyped = True  # the startup message has no type byte
        while True:
            if untyped:
                head = await reader.readexactly(4)
                length = struct.unpack("!i", head)[0]
                body = await reader.readexactly(length - 4)
                code = struct.unpack("!i", body[:4])[0] if len(body) >= 4 else 0
                untyped = code in _UNTYPED_REQUESTS
                message = head + body
            else:
                head = await reader.readexactly(5)
                body = await reader.readexactly(struct.unpack("!i", head[1:])[0] - 4)
                message = head + body
                if self.mode == "drop-after-commit" and _is_commit(head[:1], body):
                    commit_sent.set()
            await self._pace()
            link.server.write(message)
            await link.server.drain()

    async def _server_to_client(
        self, reader: asyncio.StreamReader, link: _Link, commit_sent: asyncio.Event
    ) -> None:
        while chunk := await reader.read(65536):
            if commit_sent.is_set():
                # The server has answered the COMMIT (it is durable now): the client never
                # hears of it. One drop per arming, then the proxy passes again.
                self.commits_dropped += 1
                self.mode = "pass"
                link.reset()
                return
            await self._pace()
            link.client.write(chunk)
            await link.client.drain()


def _is_commit(kind: bytes, body: bytes) -> bool:
    if kind != b"Q":
        return False
    text = body.rstrip(b"\x00").strip().rstrip(b";").strip().upper()
    return text in (b"COMMIT", b"END")
