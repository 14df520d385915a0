# MineLand — every target does its own set-up on a fresh Debian 12 machine (as root).
#   make demo     run every shipped model on sample data headless through qgis_process
#   make test     unit, processing.run, qgis_process, Dask, memory and GUI (Xvfb) tests
#   make test-fast  the core and processing.run tests alone (no slow, GUI, qgis_process, Dask or root tests), < 1 min
#   make lint     ruff check and ruff format --check (pyproject.toml)
#   make bench    ours vs the peers (GDAL+bincount, r.coin, native reclassify, pymannkendall, esda), memory
#   make install  link the plugin into your QGIS profile and enable it
#   make package  build dist/mineland-<version>.zip for "Install from ZIP"
#   make docs     rebuild docs/algorithms.html and the documentation site docs/site/

SHELL := /bin/bash
SYSTEM_PYTHON := /usr/bin/python3
VENV := .venv
PYTHON := $(VENV)/bin/python
BUILD := .build
# The newer-QGIS roots (tools/qgis_root.sh) set these to the root's own numpy/scipy/pandas and test tools.
CONSTRAINTS ?= constraints.txt
REQUIREMENTS ?= requirements-test.txt
VERSION := $(shell sed -n 's/^version=//p' mineland/metadata.txt)
DEBIAN_PACKAGES := qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-numpy python3-scipy \
	python3-pandas python3-matplotlib python3-venv xvfb xauth
QGIS_PROFILES := $(HOME)/.local/share/QGIS/QGIS3/profiles/default

export QT_QPA_PLATFORM := offscreen
# The repository root holds the plugin's package folder mineland/: importable as is, and QGIS's plugin folder.
export PYTHONPATH := $(CURDIR)

.PHONY: all system venv pyqt6 test test-fast lint demo bench install package clean debootstrap test-qgis \
	test-qgis340 test-qgis344

all: test

# QGIS 3.22 and the scientific stack come from Debian; skipped when already installed.
system:
	@if ! dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1; then \
		echo "Installing QGIS and friends from Debian (about 1.3 GB)..."; \
		if [ "$$(id -u)" -ne 0 ]; then echo "run as root (or install: $(DEBIAN_PACKAGES))"; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$(DEBIAN_PACKAGES); \
	fi

# A venv that sees Debian's qgis, numpy and GDAL; pip adds only test tools,
# constrained to Debian's numpy/scipy/pandas so nothing shadows them.
venv: $(VENV)/.installed
$(VENV)/.installed: $(REQUIREMENTS) $(CONSTRAINTS) | system
	$(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV)
	$(PYTHON) -m pip install -q -c $(CONSTRAINTS) -r $(REQUIREMENTS)
	$(PYTHON) -c "import numpy, qgis.core; v = '$(shell sed -n 's/^numpy==//p' $(CONSTRAINTS))'; \
		assert numpy.__version__ == v, (numpy.__version__, v)"
	touch $@

# PyQt6 from PyPI in a venv of its own, for tests/test_qt6.py (the plugin's Qt names resolved against Qt6).
PYQT6_VERSION := 6.8.1
pyqt6: $(BUILD)/pyqt6/.installed
$(BUILD)/pyqt6/.installed: | system
	$(SYSTEM_PYTHON) -m venv $(BUILD)/pyqt6
	$(BUILD)/pyqt6/bin/python -m pip install -q PyQt6==$(PYQT6_VERSION)
	touch $@

test: venv pyqt6
	$(PYTHON) -m pytest tests

# The markers are registered in pyproject.toml; what they leave out runs in make test.
FAST_MARKERS := not slow and not gui and not qgis_process and not dask and not root
test-fast: venv
	$(PYTHON) -m pytest tests -m "$(FAST_MARKERS)"

lint: venv
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

demo: venv
	$(PYTHON) sample/demo.py demo_output

bench: venv
	@if ! command -v grass >/dev/null 2>&1; then \
		echo "Installing GRASS GIS (grass-core) for the r.coin comparison..."; \
		if [ "$$(id -u)" -ne 0 ]; then echo "run as root (or install: grass-core)"; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends grass-core; \
	fi
	$(PYTHON) bench/run_all.py

# The whole suite and the demo on newer QGIS releases, each in a Debian root built with debootstrap
# under .build/roots (removed afterwards): trixie has QGIS 3.40 LTR, sid QGIS 3.44 LTR. As root.
debootstrap:
	@if ! command -v debootstrap >/dev/null 2>&1; then \
		if [ "$$(id -u)" -ne 0 ]; then echo "run as root (debootstrap, chroot and mount need it)"; exit 1; fi; \
		echo "Installing debootstrap from Debian..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			debootstrap || { echo "could not install debootstrap with apt-get"; exit 1; }; \
	fi

test-qgis340: debootstrap
	tools/qgis_root.sh trixie

test-qgis344: debootstrap
	tools/qgis_root.sh sid

test-qgis: test-qgis340 test-qgis344

install: system
	mkdir -p $(QGIS_PROFILES)/python/plugins
	ln -sfn $(CURDIR)/mineland $(QGIS_PROFILES)/python/plugins/mineland
	QGIS_PLUGINPATH= /usr/bin/qgis_process.bin plugins enable mineland
	@echo "MineLand linked into $(QGIS_PROFILES) and enabled; restart QGIS."

# docs/algorithms.html from the provider (a headless QGIS) and the site docs/site/*.html from docs/pages/.
.PHONY: docs
docs: system
	$(SYSTEM_PYTHON) tools/build_docs.py
	@echo "Open docs/site/index.html"

package:
	rm -rf $(BUILD)/package dist/mineland-$(VERSION).zip && mkdir -p $(BUILD)/package/mineland dist
	git archive --format=tar HEAD mineland | tar -x -C $(BUILD)/package
	git archive --format=tar HEAD LICENSE README.md docs | tar -x -C $(BUILD)/package/mineland
	cd $(BUILD)/package && $(SYSTEM_PYTHON) -m zipfile -c ../../dist/mineland-$(VERSION).zip mineland
	@echo "dist/mineland-$(VERSION).zip"

clean:
	rm -rf $(BUILD) $(VENV) dist demo_output .pytest_cache
