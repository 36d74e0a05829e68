# MedSR: `make demo` and `make test` install what is missing, build, and run.
SHELL := /bin/bash
DEBS := libdcmtk-dev libmatio-dev libhdf5-dev libpng-dev libtiff-dev libopenblas-dev libopenjp2-7-dev libzstd-dev libturbojpeg0-dev libstb-dev libnifti2-dev pkg-config dicom3tools dcmtk
SWIFT_FLAGS ?=
DEMO_OUT ?= demo-out

.PHONY: deps build release install test demo conformance check-deid check-dataset check-resume check-hostile fuzz check-sanitizers bench bench-build bench-nn bench-register bench-eval bench-quality bench-restore-quality report-shot check-serve bench-serve clean

## Install the Debian packages that are missing (apt-get update once, then install).
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "== installing missing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else echo "== Debian packages present"; fi

build: deps
	swift build $(SWIFT_FLAGS)

release: deps
	swift build -c release $(SWIFT_FLAGS)

## Install the release build: PREFIX/bin/medsr and its recipes in PREFIX/share/medsr/Manifests.
PREFIX ?= /usr/local
install: release
	bash Tools/install.sh .build/release/medsr $(DESTDIR)$(PREFIX)

## Unit and conformance tests (no Python needed), then the CLI contract checks.
test: build
	swift test $(SWIFT_FLAGS)
	bash Tools/cli_check.sh .build/debug/medsr

## The main job on the shipped fixtures: inspect, then convert a DICOM series, a figshare
## .mat (image and tumour mask), a tiled slide region and NIH-style PNGs.
demo: release
	bash Tools/demo.sh .build/release/medsr $(DEMO_OUT)

## Every pydicom test file against pydicom itself (needs PyPI; makes its own venv).
conformance: build
	bash Tools/reference/run_conformance.sh .build/debug/medsr

## `upscale … out.dcm` on public DICOMs full of synthetic PHI (deid-data, pydicom): dciodvfy finds no
## error the source did not have, and no identifying value of the source is left (needs PyPI).
check-deid: build
	bash Tools/reference/check_deid.sh .build/debug/medsr

## Datasets built from the fixtures, read back by zarr-python 3 (needs PyPI; makes its own venv).
check-dataset: build
	bash Tools/reference/run_dataset_check.sh .build/debug/medsr

## Hostile headers and bombs under a 1 GiB address-space limit: one clear line, exit 1, no crash.
check-hostile: build
	bash Tools/hostile/check.sh .build/debug/medsr

## medsr serve in headless Chromium (installs chromium, chromium-driver; selenium in a venv).
check-serve: build
	bash Tools/serve/check.sh .build/debug/medsr

## wrk against medsr serve's tile and compare endpoints (installs wrk), 30 s each.
bench-serve: release
	@command -v wrk >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO apt-get install -y -qq wrk >/dev/null; }
	bash Tools/serve/make_root.sh .build/release/medsr .build/serve-bench-root
	bash Tools/serve/load.sh .build/release/medsr .build/serve-bench-root 30

## libFuzzer over every reader and parser, FUZZ_SECONDS each, or FUZZ_SECONDS=ci for the fixed-seed
## CI run (ASan, leak checks); findings in .build-fuzz/findings.
FUZZ_SECONDS ?= 60
fuzz: deps
	bash Tools/fuzz/run.sh $(FUZZ_SECONDS)

## The unit tests under AddressSanitizer and ThreadSanitizer (separate build folders; slow).
check-sanitizers: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tools/sanitizers/lsan.supp swift test --scratch-path .build-asan --sanitize=address
	swift test --scratch-path .build-tsan --sanitize=thread

## kill -9 a build at random moments, --resume, compare with an uninterrupted build (RUNS=N).
RUNS ?= 10
check-resume: build
	bash Tools/kill_resume_check.sh .build/debug/medsr $(RUNS)

## Speed against the Python peers (pydicom+pylibjpeg, h5py, Pillow, tifffile), side by side.
bench: release
	@command -v dcmcjpeg >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dcmtk >/dev/null; }
	bash Tools/bench/run.sh

## Render the demo's report.html in headless Chromium to demo-out/report.png (installs chromium if missing).
report-shot: demo
	bash Tools/report_screenshot.sh $(DEMO_OUT)/report.html $(DEMO_OUT)/report.png

## ESPCN against PyTorch: speed side by side, and training quality (makes a venv with torch).
bench-nn: release
	bash Tools/bench/run_nn.sh

## Registration against OpenCV matchTemplate, side by side (makes a venv with opencv-python-headless).
bench-register: release
	bash Tools/bench/run_register.sh

## evaluate --pred/--ref/--mask against scikit-image in a Python loop, whole process, side by side.
bench-eval: release
	bash Tools/bench/run_eval.sh

## ESPCN x4 against bicubic on a dataset built by each recipe from real public images (long).
bench-quality: release
	@dpkg-query -W -f='$${Status}' insighttoolkit5-examples 2>/dev/null | grep -q "install ok installed" || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq insighttoolkit5-examples >/dev/null; }
	@[ -x .venv-quality/bin/python ] || { python3 -m venv .venv-quality && .venv-quality/bin/pip install -q numpy Pillow h5py tifffile nibabel pydicom scikit-image; }
	PYTHON=$(CURDIR)/.venv-quality/bin/python bash Tools/bench/recipe_quality.sh .build/release/medsr

## U-Net (blur) and DnCNN (noise) against unsharp mask / non-local means and against the same
## networks trained in PyTorch, on real public images, 15 minutes of training each (long; venv with torch).
bench-restore-quality: release
	bash Tools/bench/run_restore_quality.sh

## Dataset build speed: medsr build vs a Pillow + numpy + zarr-python pipeline, side by side.
bench-build: release
	bash Tools/bench/run_build.sh

clean:
	rm -rf .build $(DEMO_OUT)
