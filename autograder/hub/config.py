"""JupyterHub's configuration for the course, built from HUB_DIR/settings.json.

`autograder hub start` writes HUB_DIR/jupyterhub_config.py, two lines that call `configure`:
everything listens on 127.0.0.1; JupyterHub's own state (database, cookie secret, pid files)
stays in HUB_DIR; each user's server is their own Unix process in the course environment
(LocalProcessSpawner), in their home folder; the grading service is a managed service the hub
starts (and restarts if it dies) as the instructor, with its own API token.
"""

from __future__ import annotations

from pathlib import Path

from autograder.hub.settings import SERVICE, HubSettings
from autograder.hub.setup import config_path

CONFIG_FILE = """\
# Written by `autograder hub start`; edit HUB_DIR/settings.json or autograder/hub/config.py.
from autograder.hub.config import configure

configure(c, {hub_dir!r})  # noqa: F821 - `c` is injected by JupyterHub
"""
# `autograder hub start --config FILE`: the department's own settings (an authenticator, say)
# override ours.
EXTRA = "load_subconfig({path!r})  # noqa: F821\n"

# What the grading service may do with its token: look up who a submission's student is.
SERVICE_SCOPES = ["list:users", "read:users:name"]


def write_config_file(settings: HubSettings) -> Path:
    path = settings.dir / "jupyterhub_config.py"
    extra = EXTRA.format(path=settings.extra_config) if settings.extra_config else ""
    path.write_text(CONFIG_FILE.format(hub_dir=str(settings.dir)) + extra)
    return path


def course_env(settings: HubSettings) -> dict[str, str]:
    """The course environment's tools first on PATH, its kernels and extensions found."""
    return {"PATH": f"{settings.bin}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_PATH": str(Path(settings.prefix) / "share" / "jupyter")}


def configure(c, hub_dir: str) -> None:
    from autograder.hub.auth import RosterAuthenticator

    s = HubSettings.load(hub_dir)
    c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}/"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{s.hub_port}/"
    c.JupyterHub.db_url = f"sqlite:///{s.dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(s.dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(s.dir / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.command = [s.proxy]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(s.dir / "proxy.pid")

    c.JupyterHub.authenticator_class = RosterAuthenticator
    c.RosterAuthenticator.hashes_file = str(s.hashes_file)
    c.Authenticator.allowed_users = {s.instructor, *s.students}
    c.Authenticator.admin_users = {s.instructor}

    c.JupyterHub.spawner_class = "localprocess"
    c.Spawner.cmd = [str(s.bin / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.environment = {**course_env(s),
                             "JUPYTER_CONFIG_PATH": lambda spawner: config_path(
                                 s, spawner.user.name)}
    # A first JupyterLab start on a busy 2-core machine can take most of a minute.
    c.Spawner.start_timeout = 180
    c.Spawner.http_timeout = 180

    c.JupyterHub.services = [{
        "name": SERVICE,
        "command": [str(s.bin / "python"), "-m", "autograder.hub.service", str(s.dir)],
        "user": s.instructor,
        "cwd": str(s.service_dir),
        "environment": {**course_env(s), "HOME": str(s.home(s.instructor))},
    }]
    c.JupyterHub.load_roles = [{"name": SERVICE, "scopes": SERVICE_SCOPES,
                                "services": [SERVICE]}]
