"""The course for a whole class: JupyterHub, nbgrader's exchange, and grading on submit.

- roster: who may log in (instructor, students) and their passwords
- auth: the hub's authenticator for those accounts
- settings: HUB_DIR/settings.json, read by the hub's config and the grading service
- setup: Unix accounts, homes, the exchange, the instructor's course, per-role Jupyter config
- config: JupyterHub's configuration
- control: start, stop, status (`autograder hub`, `make hub`)
- inbound, policy, journal, service: the grading service (grade on submit)
"""
