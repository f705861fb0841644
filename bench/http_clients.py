"""Clients of the reservation bench: each on a connection kept alive (as a crawler's HTTP
session keeps it), all driven by one thread through epoll, so that the load generator takes
as little as it can of the cores it shares with the server it measures.

Two ways to load the server: a closed loop (``run_phase``: each client sends its next request
once its answer is in, the issue's "16 concurrent clients"), and a fixed rate
(``run_fixed_rate``: requests due at evenly spaced instants whatever the answers' speed,
each latency counted from the instant it was due, so that a server falling behind shows in
the figures instead of slowing the load down: no coordinated omission).
"""

from __future__ import annotations

import selectors
import socket
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    granted_posts: int = 0
    elapsed: float = 0.0
    service_cpu: float = 0.0  # seconds of CPU the service's processes spent in the phase
    database_cpu: float | None = None  # the same for the PostgreSQL server's processes
    client_cpu: float = 0.0  # seconds of CPU the load generator spent in the phase
    # Requests a fixed rate had due but never sent: the server could not keep up with the
    # rate. Not an error of the service, and so not a status.
    unsent: int = 0
    # Answers each client had in the phase, fewest and most: a server that serves some
    # connections and leaves others waiting shows here, not in the percentiles (a client
    # kept waiting adds one slow answer, however long it waited).
    fewest_per_client: int = 0
    most_per_client: int = 0

    def served(self, fleet: list[Client]) -> None:
        counts = [client.answers for client in fleet]
        self.fewest_per_client, self.most_per_client = min(counts), max(counts)

    def answered(self, status: int, began: float, posts: int) -> None:
        """An answer heard now to a request counted from ``began`` that asked ``posts``."""
        self.latencies.append(time.perf_counter() - began)
        self.statuses[status] += 1
        if status == 201:
            self.granted_posts += posts


def raw_request(port: int, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` on a new connection and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    return int(answer[9:12]), answer.partition(b"\r\n\r\n")[2]


def http_request(method: str, path: str, key: str, body: bytes = b"",
                 keep_alive: bool = False) -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n")
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


class Client:
    """One client of the fleet: a connection kept alive (as a crawler's HTTP session keeps
    it) on which it sends a request, waits for the whole answer, and sends the next."""

    def __init__(self, port: int, keep_alive: bool) -> None:
        self.port, self.keep_alive = port, keep_alive
        self.connection: socket.socket | None = None
        self.buffer = b""
        self.posts = 0
        self.began = 0.0
        self.answers = 0

    def connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.setblocking(False)
        self.connection, self.buffer = connection, b""
        return connection

    def answer(self) -> tuple[int, bool] | None:
        """(status, whether the server keeps the connection) once the whole answer is in
        the buffer, else None."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = self.buffer[:head_end].lower()
        at = head.find(b"\r\ncontent-length:")
        end = head.find(b"\r\n", at + 2)
        length = 0 if at < 0 else int(head[at + 17:end if end >= 0 else len(head)])
        if len(self.buffer) < head_end + 4 + length:
            return None
        kept = self.keep_alive and b"\r\nconnection: close" not in head
        return int(self.buffer[9:12]), kept

    def receive(self) -> tuple[int, bool] | None:
        """Read what the socket holds: (status, whether the connection is kept) once the
        whole answer is in (the buffer then emptied for the next), else None. A connection
        the server closed before a whole answer counts as status 0."""
        assert self.connection is not None
        try:
            chunk = self.connection.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            chunk = b""
        self.buffer += chunk
        done = self.answer()
        if done is None:
            if chunk:
                return None
            done = (0, False)  # closed by the server with no whole answer
        elif not chunk:
            done = (done[0], False)
        self.buffer = b""
        return done


def run_phase(phase: Phase, port: int, requests: list[tuple[bytes, int]], clients: int,
              duration: float, keep_alive: bool = True) -> None:
    """``clients`` concurrent clients send the ``requests`` round robin (each with its
    posts, 0 for none), each waiting for its answer before it sends the next, until
    ``duration`` seconds have passed. One thread drives them all through epoll, so that
    the load generator spends as little of the cores it shares with the server as it
    can; its CPU is counted (``phase.client_cpu``)."""
    selector = selectors.DefaultSelector()
    fleet = [Client(port, keep_alive) for _ in range(clients)]
    index = 0

    def send(client: Client) -> None:
        nonlocal index
        request, client.posts = requests[index % len(requests)]
        index += 1
        if client.connection is None:
            selector.register(client.connect(), selectors.EVENT_READ, client)
        client.began = time.perf_counter()
        assert client.connection is not None
        client.connection.sendall(request)  # a few hundred bytes: the socket takes them

    cpu_began, began = time.process_time(), time.monotonic()
    stop = began + duration
    for client in fleet:
        send(client)
    busy = len(fleet)
    while busy:
        for client, kept in heard(selector, phase, 30):
            if not kept:
                hang_up(selector, client)
            if time.monotonic() < stop:
                send(client)
            else:
                hang_up(selector, client)
                busy -= 1
    phase.elapsed = time.monotonic() - began
    phase.client_cpu = time.process_time() - cpu_began
    phase.served(fleet)
    selector.close()


def run_fixed_rate(phase: Phase, port: int, requests: list[tuple[bytes, int]], clients: int,
                   duration: float, rate: float, keep_alive: bool = True) -> None:
    """Requests due at ``rate`` per second, evenly spaced, for ``duration`` seconds, each
    sent on a connection that is free (at most ``clients`` at once; when all are busy it
    waits for one, and its wait counts). Latency runs from the instant a request was due
    to its whole answer. Requests due but still unsent ``duration`` seconds after the last
    one was due are counted as ``unsent`` (the server fell that far behind the rate)."""
    selector = selectors.DefaultSelector()
    free = deque(Client(port, keep_alive) for _ in range(clients))
    index = 0
    due: deque[float] = deque()
    interval = 1.0 / rate
    cpu_began, began = time.process_time(), time.perf_counter()
    last_due = began + duration
    give_up = last_due + duration
    next_due, busy = began, 0
    while True:
        now = time.perf_counter()
        while next_due < last_due and next_due <= now:
            due.append(next_due)
            next_due += interval
        while due and free:
            client = free.popleft()
            request, client.posts = requests[index % len(requests)]
            index += 1
            if client.connection is None:
                selector.register(client.connect(), selectors.EVENT_READ, client)
            client.began = due.popleft()  # from when it was due, not when it could be sent
            assert client.connection is not None
            client.connection.sendall(request)
            busy += 1
        if next_due >= last_due and not due and not busy:
            break
        if now > give_up:
            phase.unsent += len(due)
            due.clear()
            if not busy:
                break
        wait = max(0.0, min(next_due, give_up) - now) if next_due < last_due else 0.05
        for client, kept in heard(selector, phase, wait):
            busy -= 1
            if not kept:
                hang_up(selector, client)
            free.append(client)
    for client in free:
        hang_up(selector, client)
    phase.elapsed = time.perf_counter() - began
    phase.client_cpu = time.process_time() - cpu_began
    selector.close()


def heard(selector: selectors.BaseSelector, phase: Phase, timeout: float
          ) -> Iterator[tuple[Client, bool]]:
    """The clients whose whole answer came in within ``timeout`` (each counted in
    ``phase``), with whether their connection is kept."""
    for key, _ in selector.select(timeout=timeout):
        client = key.data
        done = client.receive()
        if done is not None:
            status, kept = done
            phase.answered(status, client.began, client.posts)
            client.answers += 1
            yield client, kept


def hang_up(selector: selectors.BaseSelector, client: Client) -> None:
    """Close the client's connection, if it has one (its next request opens another)."""
    if client.connection is not None:
        selector.unregister(client.connection)
        client.connection.close()
        client.connection = None
