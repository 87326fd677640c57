"""HAProxy in front of several Streamlit processes: the configuration, as a pure function.

Streamlit keeps each person's session, uploads and media in the memory of the one
process that owns the session, so every request of a browser must reach the same
process: the proxy inserts a cookie naming the replica (cookie affinity). Affinity
by client IP is not used, because a whole class behind one school NAT shares an IP.

``haproxy_config(backends, port)`` returns the text of a complete configuration;
``deploy/serve.py`` writes it for the replicas it starts, and ``deploy/haproxy.cfg``
(for ``deploy/compose.yaml``) is this function's output for the compose services::

    python deploy/haproxy.py --compose > deploy/haproxy.cfg

What one client may do is bounded here (see ``Limits`` and deploy/README.md):
per client IP a high cap, because a class shares one; per Streamlit session
(the id in the upload URL) a low cap on uploads.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys

#: the cookie that pins a browser to its replica (its value is the replica's name)
AFFINITY_COOKIE = "bx_replica"
#: the response header naming the replica that answered (for tests and debugging)
REPLICA_HEADER = "X-Replica"
#: Streamlit's upload endpoint: PUT /_stcore/upload_file/<session id>/<file id>
UPLOAD_PREFIX = "/_stcore/upload_file/"
#: Streamlit's websocket: one per open tab
STREAM_PATH = "/_stcore/stream"
HEALTH_PATH = "/_stcore/health"
#: the compose services (deploy/compose.yaml) and the port the proxy listens on inside compose
COMPOSE_BACKENDS = (("app1", "app1:8501"), ("app2", "app2:8501"))
COMPOSE_PORT = 8080
#: Docker's embedded DNS, so HAProxy follows a restarted container's new address
DOCKER_DNS = "127.0.0.11:53"


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one client may do. Numbers chosen for a class of up to ~60 behind one NAT."""

    #: open connections per client IP. A tab holds one websocket plus up to ~6 HTTP
    #: connections while it loads, so 60 students behind one NAT need ~420.
    conn_per_ip: int = 600
    #: HTTP requests per client IP per 10 s. Opening the Classifier page costs a
    #: browser ~120 requests (measured with Chromium, first visit and reload alike),
    #: so 60 tabs opening the teacher's link at once need ~7,200. A script hammering
    #: the server from one address stops here.
    req_per_ip_10s: int = 10000
    #: new websocket sessions (tabs opened or reloaded) per client IP per minute
    ws_per_ip_1m: int = 300
    #: bytes of one upload request. The app's largest upload is 2 MB (weights) and
    #: Streamlit's server.maxUploadSize is 2 (MiB); a multipart body adds a few hundred
    #: bytes of framing, so 2 MiB + 64 KiB.
    upload_body_bytes: int = 2 * 1024 * 1024 + 64 * 1024
    #: uploads per Streamlit session (one browser tab) per 10 minutes: a person loads a
    #: CSV, a weights file or a settings file now and then, not dozens. Streamlit keeps
    #: every upload of a session in memory until the session ends (see deploy/README.md),
    #: so this caps what one tab can park on the server at ~20 MB per 10 minutes.
    uploads_per_session_10m: int = 10
    #: uploads per client IP per 10 minutes (a class behind one NAT: ~5 each)
    uploads_per_ip_10m: int = 300
    #: the proxy's total connections
    maxconn: int = 4096
    #: an idle websocket is closed after this. Streamlit pings its websocket every 30 s,
    #: so a tab that is open (training or not) is never idle that long; this only
    #: bounds connections whose client vanished without closing them.
    tunnel_timeout: str = "1h"


def find_haproxy():
    """The haproxy binary: on PATH, or Debian's /usr/sbin/haproxy (not on a user's PATH)."""
    found = shutil.which("haproxy")
    if found:
        return found
    return "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None


def _server_lines(backends, resolvers):
    extra = " resolvers docker init-addr last,libc,none" if resolvers else ""
    lines = []
    for name, address in backends:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"replica name {name!r}: letters, digits, - and _ only")
        if ":" not in address:
            raise ValueError(f"replica {name!r}: address {address!r} needs host:port")
        lines.append(f"    server {name} {address} cookie {name} check{extra}")
    return lines


def haproxy_config(backends, port, *, bind="0.0.0.0", limits=Limits(), resolvers=None,
                   stats_port=None):
    """The HAProxy configuration for ``backends`` (pairs of name and ``host:port``).

    ``port`` and ``bind`` are where the proxy listens. ``resolvers`` (``"ip:port"`` of
    a DNS server, e.g. Docker's ``127.0.0.11:53``) makes HAProxy resolve backend host
    names at run time, so it starts before the app containers are up. ``stats_port``
    adds HAProxy's statistics page on 127.0.0.1 (sessions per replica).
    """
    backends = list(backends)
    if not backends:
        raise ValueError("at least one backend")
    names = [n for n, _ in backends]
    if len(set(names)) != len(names):
        raise ValueError(f"replica names must differ: {names}")
    L = limits
    out = [
        "# Backprop Explorer: HAProxy in front of several Streamlit processes.",
        "# Generated by deploy/haproxy.py (haproxy_config); see deploy/README.md.",
        "global",
        f"    maxconn {L.maxconn}",
        "    # a restart or stop waits this long at most for open websockets",
        "    hard-stop-after 10s",
        "",
    ]
    if resolvers:
        out += [
            "resolvers docker",
            f"    nameserver dns {resolvers}",
            "    hold valid 10s",
            "",
        ]
    out += [
        "defaults",
        "    mode http",
        "    option forwardfor",
        "    # a replica that died: send its people to another (they get a new session there)",
        "    option redispatch",
        "    retries 2",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    # slow or half-sent request headers",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 15s",
        "    timeout queue 30s",
        "    # websockets (Streamlit pings every 30 s, so an open tab is never idle this long)",
        f"    timeout tunnel {L.tunnel_timeout}",
        "    timeout client-fin 30s",
        "    timeout server-fin 30s",
        "",
        "# per client IP: open connections, request rate, new websockets (gpc0), uploads (gpc1)",
        "backend per_ip",
        ("    stick-table type ipv6 size 100k expire 15m store "
         "conn_cur,http_req_rate(10s),gpc0_rate(1m),gpc1_rate(10m)"),
        "",
        "# per Streamlit session (the id in the upload URL): uploads and their bytes",
        "backend per_session",
        ("    stick-table type string len 64 size 100k expire 15m store "
         "http_req_rate(10m),bytes_in_rate(10m)"),
        "",
        "frontend public",
        f"    bind {bind}:{port}",
        "    tcp-request connection track-sc0 src table per_ip",
        f"    tcp-request connection reject if {{ sc0_conn_cur gt {L.conn_per_ip} }}",
        f"    acl upload path_beg {UPLOAD_PREFIX}",
        "    acl put method PUT",
        f"    acl stream path {STREAM_PATH}",
        f"    http-request deny deny_status 429 if {{ sc0_http_req_rate gt {L.req_per_ip_10s} }}",
        "    http-request sc-inc-gpc0(0) if stream",
        f"    http-request deny deny_status 429 if stream {{ sc0_gpc0_rate gt {L.ws_per_ip_1m} }}",
        "    # uploads: a declared, bounded body (HAProxy then forwards no more than declared)",
        ("    http-request deny deny_status 411 content-type text/plain string \"length required\" "
         "if upload put !{ req.hdr(content-length) -m found }"),
        ("    http-request deny deny_status 413 if upload put "
         f"{{ req.hdr_val(content-length) gt {L.upload_body_bytes} }}"),
        "    http-request sc-inc-gpc1(0) if upload put",
        f"    http-request deny deny_status 429 if upload put {{ sc0_gpc1_rate gt {L.uploads_per_ip_10m} }}",
        "    http-request track-sc1 path,field(4,/) table per_session if upload put",
        ("    http-request deny deny_status 429 if upload put "
         f"{{ sc1_http_req_rate(per_session) gt {L.uploads_per_session_10m} }}"),
        "    default_backend replicas",
        "",
        "backend replicas",
        "    # a new browser (no cookie yet) goes to the next replica in turn: a class",
        "    # arrives in a burst of short page requests, which leastconn saw as equal",
        "    # loads (measured: 24/36 sessions on two replicas); the cookie keeps it there",
        "    balance roundrobin",
        f"    cookie {AFFINITY_COOKIE} insert indirect nocache httponly attr SameSite=Lax",
        f"    option httpchk GET {HEALTH_PATH}",
        "    http-check expect status 200",
        # a replica busy with a class can take seconds to answer its health check:
        # wait 10 s for it and 5 misses in a row before sending its browsers elsewhere
        "    timeout check 10s",
        "    default-server inter 2s fall 5 rise 2",
        f"    http-response set-header {REPLICA_HEADER} %[srv_name]",
    ]
    out += _server_lines(backends, resolvers)
    if stats_port:
        out += [
            "",
            "frontend stats",
            f"    bind 127.0.0.1:{stats_port}",
            "    stats enable",
            "    stats uri /",
            "    stats refresh 5s",
        ]
    return "\n".join(out) + "\n"


def compose_config():
    """The configuration committed as deploy/haproxy.cfg for deploy/compose.yaml."""
    return haproxy_config(COMPOSE_BACKENDS, COMPOSE_PORT, resolvers=DOCKER_DNS)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compose", action="store_true",
                    help="the configuration for deploy/compose.yaml (deploy/haproxy.cfg)")
    ap.add_argument("--backend", action="append", default=[], metavar="NAME=HOST:PORT",
                    help="a replica (repeat)")
    ap.add_argument("--port", type=int, default=8501)
    ap.add_argument("--bind", default="0.0.0.0")
    args = ap.parse_args(argv)
    if args.compose:
        sys.stdout.write(compose_config())
        return 0
    if not args.backend:
        ap.error("give --compose or at least one --backend NAME=HOST:PORT")
    backends = [tuple(b.split("=", 1)) for b in args.backend]
    sys.stdout.write(haproxy_config(backends, args.port, bind=args.bind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
