# Two commands do everything on a fresh machine:
#   make book   -> .venv + dependencies + the HTML book in _build/html
#   make test   -> .venv + dependencies + every check CI runs
SHELL := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The torch build to install. The default resolves to the CPU wheel on CPU-only machines that carry it;
# a GPU user can pick a CUDA build, e.g.
#   make TORCH_SPEC="torch==2.13.0" TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu128" test
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.installed

.PHONY: help venv book test unit nbval nbval-perturbed portability booktest notebooks lab clean bench pdf assignments

# Which edition `make book` and `make pdf` build: EDITION=instructor (the default: each exercise's solution hidden
# behind a toggle) into _build/html and _build/pdf, or EDITION=student (no solution anywhere: pages, search index,
# downloads, bundle, PDF) into _build/student/html and _build/student/pdf. The student edition is built from a
# staged copy of the book's sources whose notebooks have no solution cells (tools/student_edition.py), so both
# editions can sit side by side.
EDITION ?= instructor
ifeq ($(EDITION),student)
BOOK_HTML := _build/student/html
BOOK_PDF  := _build/student/pdf
STUDENT_SRC := _build/student/src
PDF_FLAGS := --html $(BOOK_HTML) --out $(BOOK_PDF) --student
else ifeq ($(EDITION),instructor)
BOOK_HTML := _build/html
PDF_FLAGS :=
else
$(error EDITION is "instructor" (the default) or "student", not "$(EDITION)")
endif

help:
	@echo "make book       build the HTML book into _build/html"
	@echo "make book EDITION=student  the student edition (no solutions anywhere) into _build/student/html"
	@echo "make test       run every check (unit tests, nbval, twins, book build)"
	@echo "make notebooks  re-execute every notebook in place (refresh stored outputs)"
	@echo "make lab        start JupyterLab on the notebooks"
	@echo "make pdf        print the book as one PDF per language into _build/pdf (EDITION=student: _build/student/pdf)"
	@echo "make bench      print the training-throughput and peak-memory benchmark tables"
	@echo "make assignments  write nbgrader source notebooks of every chapter into _build/assignments/{en,zh}"
	@echo "make portability  nbval natively and under two numeric perturbations (other CPU kernels)"

$(STAMP): pyproject.toml Makefile jupyter-config/course_lib.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_INDEX) "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[book,test]"
	# what installing the wheel puts in <prefix>/etc/jupyter (an editable install skips data files): JupyterLab's CJK font
	install -D -m 644 jupyter-config/course_lib.json $(VENV)/etc/jupyter/jupyter_server_config.d/course_lib.json
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null  # "Python 3 (ipykernel)", as a plain install names it
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
ifeq ($(EDITION),student)
	rm -rf $(BOOK_HTML) $(STUDENT_SRC)/_build/html
	$(PY) tools/student_edition.py stage $(STUDENT_SRC)
	$(VENV)/bin/jupyter-book build $(STUDENT_SRC) --path-output $(STUDENT_SRC) -W -n --keep-going
	mv $(STUDENT_SRC)/_build/html $(BOOK_HTML)
else
	rm -rf _build/html
	$(VENV)/bin/jupyter-book build . --path-output . -W -n --keep-going
endif
	@echo "The book is in $(BOOK_HTML)/index.html"

# Tests and notebooks are spread over JOBS processes (pytest-xdist; each notebook stays in one process).
JOBS ?= 2

# Each test file stays in one process, except test_solutions.py, whose chapters (each a notebook run in its own
# kernel) are spread over the processes one by one.
unit: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile tests --ignore=tests/book --ignore=tests/test_solutions.py -m "not gpu"
	$(PY) -m pytest -q -n $(JOBS) --dist load tests/test_solutions.py

NBVAL_ON := $(PY) -m pytest -q -n $(JOBS) --dist loadfile -p no:cacheprovider --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval
NBVAL := $(NBVAL_ON) notebooks/en notebooks/zh

nbval: $(STAMP)
	$(NBVAL)

# Numeric perturbations: the same notebooks with other CPU kernels, as another x86-64 machine would pick them
# (ATen's vector width, MKL's code path, oneDNN's instruction set). Sums then differ in their last bits; every
# printed number must not (README, "Numbers that hold on any machine").
PERTURB_AVX2    := ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
PERTURB_DEFAULT := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41

# make test runs the perturbed pass on the English notebooks: the Chinese twins run the same code and print the same
# numbers (tests/test_twins.py checks both), so a number that moves under another CPU moves in English first.
# make portability runs both languages under both perturbations.
nbval-perturbed: $(STAMP)
	env $(PERTURB_DEFAULT) $(NBVAL_ON) notebooks/en

portability: $(STAMP)
	$(NBVAL)
	env $(PERTURB_AVX2) $(NBVAL)
	env $(PERTURB_DEFAULT) $(NBVAL)

# The built HTML, also opened page by page in headless Chromium with the network closed
# (tests/book/test_browser.py; it skips, saying why, where no Chromium is installed), and the student edition's
# leak checks (tests/book/test_student_edition.py; they skip, saying why, where `make book EDITION=student` has
# not been run).
booktest: $(STAMP)
	$(PY) -m pytest -q -rs tests/book

# Both editions are built (the student edition takes about as long as the default one), and booktest checks
# both: tests/book/test_student_edition.py looks for every solution in each. The PDFs of both editions are printed
# and checked too (about 2-4 minutes each; the student PDFs are also searched for solutions): they are a
# deliverable, and a deliverable that no check builds breaks unnoticed; CI's budget (90 min) has room for it.
test: $(STAMP)
	$(MAKE) unit
	$(MAKE) nbval
	$(MAKE) nbval-perturbed
	$(MAKE) book EDITION=instructor
	$(MAKE) book EDITION=student
	STUDENT_BOOK_HTML=$(CURDIR)/_build/student/html $(MAKE) booktest
	$(PY) book/_ext/print_pdf.py
	$(PY) book/_ext/print_pdf.py --html _build/student/html --out _build/student/pdf --student

notebooks: $(STAMP)
	$(PY) tools/notebooks.py build
	$(PY) tools/notebooks.py execute

# Trusted notebooks show their widgets' saved views, not their raw text, before the first run. JupyterLab's
# root is the repository (so the notebooks' links to ../../book/... resolve), and it opens on notebooks/.
lab: $(STAMP)
	$(VENV)/bin/jupyter trust notebooks/en/*.ipynb notebooks/zh/*.ipynb >/dev/null
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The whole book as one PDF per language (_build/pdf/book-en.pdf, book-zh.pdf), printed by Chromium from the
# built HTML, offline, fonts embedded, numbered pages; checks its page count, Chinese text, fonts, page numbers, the
# front page on one sheet and that no code frame is left empty at a page's foot (book/_ext/print_pdf.py).
pdf: book
	$(PY) book/_ext/print_pdf.py $(PDF_FLAGS)

# nbgrader assignments from notebooks/src, one course directory per language (tools/assignments.py):
# _build/assignments/<lang>/{nbgrader_config.py,source/<chapter>/<chapter>.ipynb}. In that folder,
# `nbgrader generate_assignment <chapter>` writes the student version and `nbgrader autograde <chapter>` grades.
assignments: $(STAMP)
	$(PY) tools/assignments.py --out _build/assignments

bench: $(STAMP)
	$(PY) bench/throughput.py
	$(PY) bench/memory.py

clean:
	rm -rf _build .pytest_cache
