from traitlets.config import Config

from autograder.hub.config import SERVICE_SCOPES, configure, write_config_file
from autograder.hub.settings import SERVICE, HubSettings


def settings(tmp_path, **extra) -> HubSettings:
    s = HubSettings(hub_dir=str(tmp_path), course_id="course", instructor="teach",
                    students=("ann", "ben"), port=8123, **extra)
    s.save()
    return s


def test_everything_on_loopback_and_the_service_as_the_instructor(tmp_path):
    s = settings(tmp_path)
    c = Config()
    configure(c, str(tmp_path))
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8123/"
    assert c.JupyterHub.hub_bind_url.startswith("http://127.0.0.1:")
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert c.Authenticator.allowed_users == {"teach", "ann", "ben"}
    assert c.Authenticator.admin_users == {"teach"}
    assert c.JupyterHub.spawner_class == "localprocess"
    assert c.Spawner.cmd == [str(s.bin / "jupyterhub-singleuser")]
    [service] = c.JupyterHub.services
    assert service["name"] == SERVICE and service["user"] == "teach"
    assert "autograder.hub.service" in service["command"]
    assert "api_token" not in service, "the hub makes the service's own token"
    assert c.JupyterHub.load_roles == [{"name": SERVICE, "scopes": SERVICE_SCOPES,
                                        "services": [SERVICE]}]


def test_a_departments_config_is_read_after_ours(tmp_path):
    own = tmp_path / "mine.py"
    s = settings(tmp_path, extra_config=str(own))
    text = write_config_file(s).read_text()
    assert text.index("configure(c") < text.index(f"load_subconfig({str(own)!r})")
