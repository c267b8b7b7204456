"""JupyterLab (`make lab`): a real server serves notebooks/*.py as notebooks and runs one.

Starts JupyterLab's server on 127.0.0.1 (free port, random token, the repository as root), asks its
REST API for notebooks/, checks that every NN_<topic>.py is served as type "notebook" with the cells
Jupytext reads from the file, that saving through the API keeps the .py/.ipynb pair in sync, runs
01_architecture (smoke profile) through a kernel session over the kernel websocket, and shuts the
server down — bounded in time, with no process left behind.

JupyterLab is not in the test venv (.venv): this test runs in .venv-lab (`make test-lab`) and is
skipped elsewhere.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

REASON = ("JupyterLab is not installed in this venv (it lives in .venv-lab, outside the test venv): "
          "run `make test-lab`")
pytest.importorskip("jupyterlab", reason=REASON)
pytest.importorskip("jupyter_server", reason=REASON)
websocket = pytest.importorskip("websocket", reason=REASON + " (websocket-client)")
psutil = pytest.importorskip("psutil")

import jupytext  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
START_TIMEOUT = 90  # s, server start on a busy 2-core machine
RUN_TIMEOUT = 240  # s, executing 01_architecture cell by cell


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp: Path):
        self.port, self.token = _free_port(), secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"),
                   JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_PREFER_ENV_PATH="1",
                   AUTOENCODE_CACHE_DIR=str(tmp / "cache"))
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={ROOT}",
               # a safety net if this test is killed before its finally: the server stops by itself
               "--ServerApp.shutdown_no_activity_timeout=600", "--MappingKernelManager.cull_idle_timeout=600",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly"]
        if os.geteuid() == 0:  # CI and containers run as root
            cmd.append("--ServerApp.allow_root=True")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def logs(self) -> str:
        return self.log.read_text()[-4000:]

    def api(self, method: str, path: str, body=None, timeout: float = 30):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    def wait_until_up(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                if self.api("GET", "/api/status", timeout=5)[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        pytest.fail(f"the server did not answer within {START_TIMEOUT} s:\n{self.logs()}")

    def stop(self):
        """POST /api/shutdown, then terminate/kill the whole process group; return the pids seen."""
        try:
            pids = {self.proc.pid} | {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            pids = {self.proc.pid}
        try:
            self.api("POST", "/api/shutdown", timeout=10)
            self.proc.wait(timeout=30)
        except Exception:
            pass
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything left in the group (e.g. a kernel)
        except (ProcessLookupError, PermissionError):
            pass
        return pids


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path)
    try:
        srv.wait_until_up()
        yield srv
    finally:
        pids = srv.stop()
        deadline = time.monotonic() + 10
        alive = pids
        while time.monotonic() < deadline:
            alive = {p for p in pids if _running(p)}
            if not alive:
                break
            time.sleep(0.2)
        assert not alive, f"stray processes after shutdown: {alive}"


# --------------------------------------------------------------------------- websocket kernel client
def _message(msg_type: str, content: dict, session: str) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "test",
                       "session": session, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}


def _execute(ws, code: str, session: str, timeout: float) -> tuple[str, str, dict]:
    """Run ``code``; return (status, stdout+results text, reply content)."""
    msg = _message("execute_request", {"code": code, "silent": False, "store_history": True,
                                       "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
                   session)
    ws.send(json.dumps(msg))
    msg_id, text, reply, idle = msg["header"]["msg_id"], [], None, False
    deadline = time.monotonic() + timeout
    while reply is None or not idle:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        frame = ws.recv()
        if isinstance(frame, bytes):  # binary frames carry buffers (e.g. widgets): not ours
            continue
        m = json.loads(frame)
        if m.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = m["header"]["msg_type"]
        if kind == "stream":
            text.append(m["content"]["text"])
        elif kind in ("execute_result", "display_data"):
            text.append(m["content"]["data"].get("text/plain", ""))
        elif kind == "error":
            text.append("\n".join(m["content"]["traceback"]))
        elif kind == "status" and m["content"]["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            reply = m["content"]
        if time.monotonic() > deadline:
            raise TimeoutError(f"no reply within {timeout} s for:\n{code[:200]}")
    return reply["status"], "".join(text), reply


# --------------------------------------------------------------------------- the test
def test_jupyterlab_serves_pairs_and_runs_a_notebook(server, tmp_path):
    status, info = server.api("GET", "/api/status")
    assert status == 200 and "started" in info
    # the JupyterLab page itself and the Jupytext lab extension
    status, page = server.api("GET", "/lab")
    assert status == 200 and "jupyter-config-data" in page
    assert "jupyterlab-jupytext" in page, "the Jupytext lab extension is not loaded"
    # tools/lab/overrides.json (installed by `make lab`): a double-click on a .py opens a notebook
    status, settings = server.api("GET", "/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    viewers = settings["schema"]["properties"]["defaultViewers"].get("default", {})
    assert viewers.get("python") == "Jupytext Notebook", (
        "the lab settings override is missing: run `make lab-venv`")

    # notebooks/: every .py is listed as a notebook and opens with the cells Jupytext reads
    status, listing = server.api("GET", "/api/contents/notebooks")
    assert status == 200 and listing["type"] == "directory"
    entries = {e["name"]: e for e in listing["content"]}
    assert NOTEBOOKS and set(NOTEBOOKS) <= set(entries)
    for name in NOTEBOOKS:
        assert entries[name]["type"] == "notebook", f"{name} is listed as {entries[name]['type']}"
        status, model = server.api("GET", f"/api/contents/notebooks/{name}?content=1")
        assert model["type"] == "notebook" and model["format"] == "json", name
        expected = jupytext.read(ROOT / "notebooks" / name)
        got = model["content"]["cells"]
        assert [(c["cell_type"], c["source"]) for c in got] == [
            (c.cell_type, c.source) for c in expected.cells], f"{name}: cells differ from the .py"
        assert [c["metadata"].get("tags", []) for c in got] == [
            c.metadata.get("tags", []) for c in expected.cells], f"{name}: cell tags differ"
        assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"

    # saving through the server writes both files of the pair (in a scratch folder under build/)
    scratch = ROOT / "build" / f"lab-test-{secrets.token_hex(4)}"
    scratch.mkdir(parents=True)
    try:
        rel = scratch.relative_to(ROOT).as_posix()
        model["content"]["cells"].append({"cell_type": "code", "metadata": {}, "source": "saved_from_lab = 1",
                                          "outputs": [], "execution_count": None})
        status, saved = server.api("PUT", f"/api/contents/{rel}/pair.ipynb",
                                   {"type": "notebook", "format": "json", "content": model["content"]})
        assert status in (200, 201), saved
        py, ipynb = scratch / "pair.py", scratch / "pair.ipynb"
        assert ipynb.exists() and py.exists(), "saving one file of the pair did not write the other"
        assert "saved_from_lab = 1" in py.read_text() and "# %%" in py.read_text()
        assert jupytext.read(py).cells[-1].source == "saved_from_lab = 1"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    # a session on 01_architecture.py, run cell by cell over the kernel websocket (smoke profile)
    status, session_model = server.api("POST", "/api/sessions", {
        "path": "notebooks/01_architecture.py", "type": "notebook", "name": "01_architecture.py",
        "kernel": {"name": "python3"}})
    assert status == 201, session_model
    kernel_id = session_model["kernel"]["id"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}",
        header=[f"Authorization: token {server.token}"], timeout=60)
    session = uuid.uuid4().hex
    out = tmp_path / "figures"
    outputs = []
    try:
        probe = "import os, sys; print(os.getcwd()); print(sys.executable)"
        state, text, _ = _execute(ws, probe, session, 120)
        assert state == "ok", text
        cwd, executable = text.split()[:2]
        assert Path(cwd) == ROOT / "notebooks", "the kernel does not start in the notebook's folder"
        assert Path(executable).parent == Path(sys.executable).parent, "the kernel is not the lab venv's"
        deadline = time.monotonic() + RUN_TIMEOUT
        for cell in jupytext.read(ROOT / "notebooks" / "01_architecture.py").cells:
            if cell.cell_type != "code":
                continue
            code = cell.source
            if "parameters" in cell.metadata.get("tags", []):
                code += f'\nprofile = "smoke"\nout_dir = {str(out)!r}'
            state, text, reply = _execute(ws, code, session, max(1.0, deadline - time.monotonic()))
            outputs.append(text)
            assert state == "ok", f"cell failed:\n{code[:300]}\n{text[-3000:]}"
    finally:
        ws.close()
    assert "acceptance: all checks passed" in outputs[-1]
    assert (out / "fig01_architecture.png").stat().st_size > 0
    assert json.loads((out / "fig01_architecture.json").read_text())["profile"] == "smoke"

    status, _ = server.api("DELETE", f"/api/sessions/{session_model['id']}")
    assert status == 204
    status, kernels = server.api("GET", "/api/kernels")
    assert kernel_id not in {k["id"] for k in kernels}
