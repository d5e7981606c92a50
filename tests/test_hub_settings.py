"""autograder.hub.settings: what the hub, its config and the grading service share, in one
JSON file that reads back as it was written, readable by the service, with everything the hub
keeps under HUB_DIR.

(A real hub started from these settings: tests/test_hub_service.py.)
"""

import os
from pathlib import Path

from autograder.hub.settings import SETTINGS, HubSettings


def test_settings_read_back_as_written(tmp_path):
    written = HubSettings(hub_dir=str(tmp_path), course_id="course", instructor="teach",
                          students=("ann", "ben"), port=8123, batch=3, poll_seconds=0.2,
                          extra_config="/etc/hub.py")
    path = written.save()
    assert path == tmp_path / SETTINGS and path.read_text().endswith("}\n")
    assert HubSettings.load(tmp_path) == written  # students a tuple again, not a list
    assert HubSettings.load(str(tmp_path)) == written


def test_the_settings_file_is_readable_by_the_service(tmp_path):
    # the service runs as the instructor; the file holds no secrets, whatever the umask
    umask = os.umask(0o077)
    try:
        path = HubSettings(hub_dir=str(tmp_path), course_id="c", instructor="t",
                           students=()).save()
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_everything_the_hub_keeps_is_under_hub_dir(tmp_path):
    s = HubSettings(hub_dir=str(tmp_path), course_id="c", instructor="teach", students=("ann",))
    kept = [s.homes, s.home("ann"), s.exchange, s.course_dir, s.service_dir, s.jupyter_config,
            s.hashes_file, s.passwords_file]
    assert all(p.is_relative_to(tmp_path) for p in kept)
    assert len(set(kept)) == len(kept)
    assert s.home("ann").parent == s.course_dir.parent.parent == s.homes
    assert s.course_dir.is_relative_to(s.home("teach"))  # the instructor's own course


def test_the_hubs_address_and_tools(tmp_path):
    s = HubSettings(hub_dir=str(tmp_path), course_id="c", instructor="t", students=(),
                    port=8123, prefix="/opt/venv")
    assert s.url == "http://127.0.0.1:8123/"
    assert s.bin == Path("/opt/venv/bin")
