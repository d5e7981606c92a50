"""nbconvert settings for the course: `jupyter nbconvert --config jupyter_nbconvert_config.py ...`.

Executing a lesson normally stores every widget's state in the notebook, and nbconvert's HTML
then shows each widget as an empty placeholder that needs JavaScript from the internet. Without
the stored state it shows each widget's own static fallback instead: the quiz's questions, the
step-through's table, a slider's default measurement. nbgrader_config.py does the same for
nbgrader's runs.
"""

c = get_config()  # noqa: F821 - injected by traitlets when it runs this file

c.ExecutePreprocessor.store_widget_state = False
c.ExecutePreprocessor.kernel_name = "python3"  # the course environment's kernel, not a stored one
