"""The deployment files (deploy/): the HAProxy configuration that deploy/serve.py and
compose use, checked by haproxy itself and exercised in a running haproxy in front of
two stub replicas; the Kubernetes manifests, validated offline against the API
schemas; compose.yaml and the Dockerfile. Fast and offline (no Streamlit started)."""
import http.client
import http.server
import importlib.util
import os
import pathlib
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module           # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


hx = _load("haproxy")


def _in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(message):
    if _in_ci():
        pytest.fail(message + " (CI=true: these checks must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def haproxy():
    path = hx.find_haproxy()
    if not path:
        _missing("haproxy not found: install it with `apt-get install -y haproxy`")
    return path


@pytest.fixture(scope="module")
def yaml():
    try:
        import yaml as module  # comes with kubernetes-validate
    except ImportError:
        _missing("PyYAML not installed: pip install -r requirements-dev.txt")
    return module


@pytest.fixture(scope="module")
def k8s_validate():
    try:
        import kubernetes_validate
    except ImportError:
        _missing("kubernetes-validate not installed: pip install -r requirements-dev.txt")
    return kubernetes_validate


def _check(haproxy, text, tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    return subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True,
                          check=False)


def _section(text, header):
    """The lines of one section (``frontend public``, ``backend replicas``...)."""
    lines, inside = [], False
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            inside = line.strip() == header
            continue
        if inside and line.strip() and not line.strip().startswith("#"):
            lines.append(line.strip())
    assert lines, f"no section {header!r}"
    return lines


# --- the configuration, as text and as haproxy sees it ------------------------------

@pytest.mark.parametrize("n", [1, 2, 4])
def test_generated_config_passes_haproxy_check(haproxy, tmp_path, n):
    text = hx.haproxy_config([(f"r{i}", f"127.0.0.1:{9000 + i}") for i in range(1, n + 1)], 8501,
                             stats_port=8404)
    done = _check(haproxy, text, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[WARNING]" not in done.stdout + done.stderr


def test_config_pins_each_browser_by_cookie_and_names_the_replica():
    text = hx.haproxy_config([("r1", "127.0.0.1:9001"), ("r2", "127.0.0.1:9002")], 8501)
    backend = _section(text, "backend replicas")
    cookie = next(line for line in backend if line.startswith("cookie "))
    assert cookie.split()[1] == hx.AFFINITY_COOKIE
    assert {"insert", "indirect", "nocache", "httponly"} <= set(cookie.split())
    servers = [line.split() for line in backend if line.startswith("server ")]
    assert [(s[1], s[2], s[s.index("cookie") + 1]) for s in servers] == \
        [("r1", "127.0.0.1:9001", "r1"), ("r2", "127.0.0.1:9002", "r2")]
    assert all("check" in s for s in servers)
    assert "option httpchk GET /_stcore/health" in backend
    assert f"http-response set-header {hx.REPLICA_HEADER} %[srv_name]" in backend
    # never by client address: a class behind one NAT would all land on one process
    assert not any(line.startswith(("balance source", "stick on src")) for line in backend)


def test_config_limits_uploads_per_session_and_clients_per_ip():
    L = hx.Limits()
    text = hx.haproxy_config([("r1", "127.0.0.1:9001")], 8501)
    front = _section(text, "frontend public")
    assert "tcp-request connection track-sc0 src table per_ip" in front
    assert f"tcp-request connection reject if {{ sc0_conn_cur gt {L.conn_per_ip} }}" in front
    assert f"acl upload path_beg {hx.UPLOAD_PREFIX}" in front
    assert any(f"deny_status 413 if upload put {{ req.hdr_val(content-length) gt "
               f"{L.upload_body_bytes} }}" in line for line in front)
    assert any("deny_status 411" in line and "content-length" in line for line in front)
    # the per-session key is the session id in /_stcore/upload_file/<session>/<file>
    assert "http-request track-sc1 path,field(4,/) table per_session if upload put" in front
    assert any(f"sc1_http_req_rate(per_session) gt {L.uploads_per_session_10m}" in line
               for line in front)
    assert any(f"sc0_http_req_rate gt {L.req_per_ip_10s}" in line for line in front)
    assert any(f"sc0_gpc0_rate gt {L.ws_per_ip_1m}" in line for line in front)
    assert "stick-table type string len 64" in _section(text, "backend per_session")[0]
    # the app's largest upload (2 MB) and Streamlit's own cap (server.maxUploadSize=2) fit
    assert 2 * 1024 * 1024 < L.upload_body_bytes <= 3 * 1024 * 1024
    # a class behind one NAT: dozens of tabs, each a websocket and a few HTTP connections
    assert L.conn_per_ip >= 60 * 7 and L.ws_per_ip_1m >= 120 and L.req_per_ip_10s >= 60 * 120


def test_config_keeps_websockets_open_for_a_lesson():
    defaults = _section(hx.haproxy_config([("r1", "127.0.0.1:9001")], 8501), "defaults")
    tunnel = next(line.split()[2] for line in defaults if line.startswith("timeout tunnel"))
    seconds = int(tunnel[:-1]) * {"s": 1, "m": 60, "h": 3600}[tunnel[-1]]
    assert seconds >= 30 * 60        # Streamlit pings every 30 s; an hour bounds dead ones
    assert "timeout http-request 10s" in defaults


def test_bad_backends_are_refused():
    with pytest.raises(ValueError):
        hx.haproxy_config([], 8501)
    with pytest.raises(ValueError):
        hx.haproxy_config([("r1", "127.0.0.1:1"), ("r1", "127.0.0.1:2")], 8501)
    with pytest.raises(ValueError):
        hx.haproxy_config([("r 1", "127.0.0.1:1")], 8501)
    with pytest.raises(ValueError):
        hx.haproxy_config([("r1", "127.0.0.1")], 8501)


def test_committed_compose_config_is_the_generators(haproxy, tmp_path):
    committed = (DEPLOY / "haproxy.cfg").read_text()
    assert committed == hx.compose_config(), \
        "regenerate it: python deploy/haproxy.py --compose > deploy/haproxy.cfg"
    done = _check(haproxy, committed, tmp_path)      # app1/app2 resolve only inside compose
    assert done.returncode == 0, done.stdout + done.stderr


# --- the limits in a running haproxy, in front of two stub replicas -----------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Stub(http.server.BaseHTTPRequestHandler):
    """A replica: 200 on /_stcore/health, 204 on any PUT (its body read)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._reply(200, b"ok")

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply(204)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass                                  # health checks that hang up are fine


@pytest.fixture
def proxy(haproxy, tmp_path):
    """haproxy with small limits in front of two stubs; yields (port, limits)."""
    stubs = [_Server(("127.0.0.1", 0), _Stub) for _ in range(2)]
    for s in stubs:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    port = _free_port()
    limits = hx.Limits(req_per_ip_10s=60, uploads_per_session_10m=3, uploads_per_ip_10m=50,
                       upload_body_bytes=1000)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(hx.haproxy_config(
        [(f"r{i + 1}", f"127.0.0.1:{s.server_address[1]}") for i, s in enumerate(stubs)],
        port, bind="127.0.0.1", limits=limits))
    proc = subprocess.Popen([haproxy, "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if _request(port, "GET", "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "haproxy did not start"
            time.sleep(0.05)
        yield port, limits
    finally:
        proc.terminate()
        proc.wait(10)
        for s in stubs:
            s.shutdown()
            s.server_close()


def _request(port, method, path, body=None, headers=None, chunked=False):
    """Status and headers. ``chunked``: send only the headers of a chunked request (the
    proxy answers before any body, as it does to a client that streams an upload)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        if chunked:
            conn.putrequest(method, path)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
        else:
            conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def test_running_proxy_pins_browsers_and_enforces_the_limits(proxy):
    port, limits = proxy
    # a new browser gets a cookie naming its replica; the cookie brings it back there
    status, headers = _request(port, "GET", "/Classifier")
    assert status == 200
    replica = headers["x-replica"]
    assert re.match(rf"{hx.AFFINITY_COOKIE}={replica};", headers["set-cookie"])
    cookie = {"Cookie": f"{hx.AFFINITY_COOKIE}={replica}"}
    for _ in range(3):
        assert _request(port, "GET", "/", headers=cookie)[1]["x-replica"] == replica
    other = "r2" if replica == "r1" else "r1"
    assert _request(port, "GET", "/", headers={"Cookie": f"{hx.AFFINITY_COOKIE}={other}"}
                    )[1]["x-replica"] == other

    upload = "/_stcore/upload_file/session-a/"
    assert _request(port, "PUT", upload + "f0", b"x" * 500)[0] == 204
    assert _request(port, "PUT", upload + "big", b"x" * 1001)[0] == 413
    assert _request(port, "PUT", upload + "chunked", chunked=True)[0] == 411
    # per session: `uploads_per_session_10m` uploads, then 429; another session is unaffected
    codes = [_request(port, "PUT", upload + f"f{i}", b"x")[0] for i in range(1, 5)]
    assert codes == [204] * (limits.uploads_per_session_10m - 1) + [429] * 2
    assert _request(port, "PUT", "/_stcore/upload_file/session-b/f", b"x")[0] == 204
    # per client IP: past `req_per_ip_10s` requests in 10 s, 429
    codes = [_request(port, "GET", "/_stcore/health")[0] for _ in range(limits.req_per_ip_10s)]
    assert codes[0] == 200 and codes[-1] == 429


# --- Kubernetes -------------------------------------------------------------------

def _manifests(yaml):
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_k8s_manifests_validate_offline(yaml, k8s_validate):
    docs = _manifests(yaml)
    assert {d["kind"] for _, d in docs} >= {"Deployment", "Service", "Ingress"}
    for name, doc in docs:
        try:
            k8s_validate.validate(doc, k8s_validate.latest_version(), strict=True)
        except k8s_validate.ValidationError as e:
            pytest.fail(f"{name}: {doc['kind']}: {'.'.join(map(str, e.path))}: {e.message}")


def _one(docs, kind):
    found = [d for _, d in docs if d["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


def test_k8s_deployment_probes_health_and_sets_resources(yaml):
    docs = _manifests(yaml)
    deployment = _one(docs, "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (app,) = pod["containers"]
    assert [p["containerPort"] for p in app["ports"]] == [8501]
    for probe in ("readinessProbe", "livenessProbe"):
        assert app[probe]["httpGet"] == {"path": "/_stcore/health", "port": 8501}, probe
    res = app["resources"]
    assert res["requests"]["cpu"] == "500m" and res["requests"]["memory"] == "400Mi"
    assert res["limits"]["memory"] == "1Gi" and res["limits"]["cpu"] in ("1", "2", 1, 2)
    # the Service reaches that port and the Ingress reaches the Service
    service = _one(docs, "Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] in ("http", 8501)
    ingress = _one(docs, "Ingress")
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"]["name"] == service["metadata"]["name"]


def test_k8s_ingress_pins_browsers_by_cookie_and_keeps_websockets(yaml):
    notes = _one(_manifests(yaml), "Ingress")["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-name"] == hx.AFFINITY_COOKIE
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(notes[prefix + timeout]) >= 1800
    assert notes[prefix + "proxy-body-size"] in ("3m", "3M")
    # per-IP limits are generous: a class shares one address behind its school's NAT
    assert int(notes[prefix + "limit-connections"]) >= 420


# --- compose and the Dockerfile ---------------------------------------------------

def test_compose_names_the_replicas_behind_the_proxy(yaml):
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    names = [name for name, _ in hx.COMPOSE_BACKENDS]
    assert len(names) >= 2 and set(names) <= set(services)
    for name in names:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert "8501" in [str(p) for p in services[name]["expose"]]
    assert [f"{n}:8501" for n in names] == [a for _, a in hx.COMPOSE_BACKENDS]
    proxy = services["proxy"]
    assert proxy["image"].startswith("haproxy:")
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in proxy["volumes"]
    assert set(proxy["depends_on"]) == set(names)
    assert f"8501:{hx.COMPOSE_PORT}" in proxy["ports"]


def test_dockerfile_is_slim_non_root_and_checks_health():
    text = (DEPLOY / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "FROM python:3.11-slim"
    user = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    assert "COPY requirements.txt ." in lines and "RUN pip install -r requirements.txt" in lines
    assert "HEALTHCHECK" in text and "/_stcore/health" in text
    # everything it copies exists (the build context is the repository root)
    for line in lines:
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                if not src.startswith("--"):
                    assert (ROOT / src).exists(), src
    assert '"--server.port=8501"' in text and '"app.py"' in text


# --- serve.py ----------------------------------------------------------------------

def test_serve_picks_distinct_free_ports_and_explains_itself():
    serve = _load("serve")
    ports = serve.free_ports(5)
    assert len(set(ports)) == 5
    done = subprocess.run([sys.executable, str(DEPLOY / "serve.py"), "--help"], check=False,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "--replicas" in done.stdout
