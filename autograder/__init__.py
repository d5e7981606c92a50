"""Saving and loading machine-learning models: the course's package, in three parts.

- `artifacts/` + `check.py`: the artifact checker. A saved model is read without running it,
  reloaded in a sandboxed child, and compared with the live model (`check_artifact` for lesson
  test cells, `autograder inspect|verify` for terminals and scripts).
- `grading/`: the grading pipeline over nbgrader (`autograder grade`), on this machine or a
  Dask cluster, into SQLite or a database server; and self-study scoring on the same grader
  (`autograder score`, `autograder progress`).
- `hub/`: the course for a whole class on JupyterHub, with grading on submit (`autograder hub`).
- `course/`: what the lessons import (dataset, model class, quiz, step-through, tables, plots,
  registry) and what authors run (`autograder lessons`).
- `pages/`: the reference pages in docs/ (format guide, claims ledger, error atlas, glossary,
  reading), generated from measured data and the mistakes catalogue (`autograder pages`).
- `services/`: the servers the project starts itself on 127.0.0.1 (PostgreSQL, a Dask
  cluster: `autograder cluster`).
- `cli/` is the one command line, `common/` what all parts share.

One line per module:

    check.py                 check_artifact(): lesson test cells' one call (reload, compare)
    __main__.py              `python -m autograder`, the same as the `autograder` command
    artifacts/
      enums.py               the StrEnums the checker decides with (format, verdict, stage...)
      formats.py             which format a file holds, from its bytes
      streams.py             budgeted reading of untrusted streams (no bombs in memory)
      pickles.py             walk a pickle's opcodes without loading it
      onnxfile.py            read an ONNX file's structure without the onnx package
      allowlist.py           the exact globals an honest artifact may import
      analysis.py            analyze(): static verdict (safe, sandbox-only, unsafe, unreadable)
      handoff.py             inputs and outputs between processes as .npy, never pickle
      sandbox.py             run a child with a temp folder, limits, no network, a timeout
      forkserver.py          a warm start: the child forked from one that imported its library
      child.py               the sandboxed loader: load, call, write outputs as .npy
      reload.py              start the child for a loadable report, read its outputs back
      compare.py             each format's comparison policy (exact, or ONNX's tolerance)
      verification.py        verify_file(): the one flow analyze -> sandbox -> compare
    grading/
      orchestrator.py        grade(): one assignment from intake to reports
      intake.py              import submissions (folder or LMS zip) into submitted/
      course.py              the grading course directory and its nbgrader settings
      gradebook.py           what grading reads from and writes to gradebooks (nbgrader's API)
      converters.py          run one of nbgrader's converters, and say why it failed in a line
      reference.py           the solution's own grading time: what a submission's limits are
      usage.py               what a process tree used: CPU time, and time spent waiting
      samples.py             the bundled sample classes and their expected grades
      selfscore.py           a learner's own notebook graded on a copy, as an instructor would
      progress.py            a self-learner's last score of each lesson, kept on this machine
      limits.py              per-submission resource limits, and how to apply them
      sandbox.py             Linux namespaces for a grading job, reported honestly
      workers.py             grade submissions in parallel, one job per submission
      runner.py              one submission's grading process (sandbox, nbgrader)
      kernel.py              the grading kernel that hides what students must not see
      zygote.py              a worker's clean, warm process that forks each runner
      prefork.py             kernels forked by a runner from a zygote, before any student code
      timed.py               nbgrader's Execute preprocessor, timed
      outcome.py             one submission's scores and one-line reason
      merge.py               merge workers' results into the main gradebook
      journal.py             outcomes kept on disk until merged, for `grade --resume`
      database.py            the gradebook's server: one writer per assignment, one-line errors
      distributed.py         DaskExecutor: jobs shipped to a Dask cluster as bytes
      redact.py              keep hidden tests out of feedback
      feedback.py            feedback that names each mistake, its fix and lesson section
      integrity.py           fingerprint what grading must never change
      report.py              the instructor's CSVs and summary table
      classreport.py         the class-wide mistakes report and points-lost plot
      export.py              grades for Canvas, Moodle or a plain CSV, with a roster
    hub/
      roster.py              the class: who may log in, as what, with which password
      auth.py                the hub's login: each roster account with its own password
      settings.py            everything the hub and its service need, in one JSON file
      setup.py               accounts, homes, the exchange, the instructor's course (as root)
      config.py              JupyterHub's configuration, built from the settings
      control.py             start, stop and look at the hub (`autograder hub`)
      service.py             grade on submit: a hub service that grades and returns feedback
      inbound.py             the service's side of nbgrader's exchange
      journal.py             the service's memory of submissions and gradings
      policy.py              the instructor's say over grading on submit, per assignment
      grader.py              how the service runs the grader, in a subprocess
    course/
      credit.py              the synthetic credit-scoring dataset of every lesson
      models.py              CreditMLP, importable so weights-only files can be checked
      onnxlab.py             lesson 04's helpers: ONNX contracts, sessions with stated threads
      mistakes.py            the catalogue of mistakes the course recognises (mistakes.toml)
      quiz.py                checkpoint quizzes with instant feedback
      tracker.py             step through a lesson's code, tabulating each name
      display.py             widgets that degrade to text where widgets do not render
      lesson.py              a lesson's setup in one call, and quiet library calls
      measure.py             measuring on the learner's machine: best-of timings, quick mode
      torchkit.py            PyTorch helpers: tensors, resumable training, GPU-tagged saves
      payloads.py            contained attacks: a payload box, crafted pickles, the scanners
      provenance.py          a model's metadata: data and code hashes, versions, where it lives
      versions.py            a pickle recorded by an older scikit-learn release, for lesson 02
      weights.py             parameter and byte counts of MLP weights, without torch
      timing.py              how long a lesson's core path takes, by one stated model
      tables.py              lesson tables of raw measurements, one unit per column
      verdicts.py            lesson sentences computed from the table beside them
      plots.py               lesson plots with units and alternative text
      diagrams.py            workflow diagrams drawn with matplotlib
      quizbank.py            question banks: quiz.toml compiled into the package (quizzes/)
      guard.py               what must never reach a student, checked on executed notebooks
      registry.py            a file-based model registry with audited promotion
      authoring.py           generate lessons/ from solutions/ and validate both trees
      capstone.py            lesson 07's release job, loaders as text, fresh-start timings
      outline.py             the lessons in order, read from the student notebooks
      setup_check.py         lesson 00's setup check: pins, kernel, checker, sandbox walls
    pages/
      figures.py             the measured figures they quote (docs/benchmarks.json)
      markdown.py            tables, escaping and lesson links for the pages
      links.py               every link into a lesson must open one of its headings
      formats.py             docs/formats.md: the format decision guide
      claims.py              docs/claims.md: the syllabus's claims, decided by figures
      errors.py              docs/errors.md: the error atlas, from the mistakes catalogue
      reference.py           docs/glossary.md and docs/reading.md
    cli/
      __init__.py            the root parser: one module per subcommand
      inspect.py             autograder inspect: analyse a file without running it
      verify.py              autograder verify: reload in the sandbox and compare
      grade.py               autograder grade: grade a class with nbgrader
      score.py               autograder score: score your own notebook (a copy)
      progress.py            autograder progress: your last score of each lesson
      export.py              autograder export: grades an LMS imports (Canvas, Moodle)
      lessons.py             autograder lessons: regenerate or check lessons/
      samples.py             autograder samples: write a sample class
      bench.py               autograder bench: measure, rewrite docs/benchmarks.md
      hub.py                 autograder hub: start, stop or look at the class hub
      pages.py               autograder pages: regenerate the reference pages in docs/
      cluster.py             autograder cluster: start, stop or look at PostgreSQL and Dask
    services/
      postgres.py            Debian's PostgreSQL, initdb'd and started as an unprivileged user
      dask_cluster.py        a Dask scheduler and one-thread workers
    common/
      paths.py               ROOT, the course's nbgrader config, the venv's environment
      text.py                one-line text: first_line, last_line, error_line
      units.py               the one number formatter: size, duration, rate, ratio...
      isolation.py           unshare, prctl, rlimits, kill_group (absent layers degrade)
      imports.py             keeps jsonschema's slow IRI grammars out of the grader's processes
"""
