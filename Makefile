# MedSR: `make demo` and `make test` install what is missing, build, and run.
SHELL := /bin/bash
DEBS := libdcmtk-dev libmatio-dev libhdf5-dev libpng-dev libtiff-dev libopenblas-dev libopenjp2-7-dev libzstd-dev libnifti2-dev pkg-config
SWIFT_FLAGS ?=
DEMO_OUT ?= demo-out

.PHONY: deps build release test demo conformance check-dataset check-resume check-hostile fuzz check-sanitizers bench bench-build bench-nn bench-register report-shot clean

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

## Datasets built from the fixtures, read back by zarr-python 3 (needs PyPI; makes its own venv).
check-dataset: build
	bash Tools/reference/run_dataset_check.sh .build/debug/medsr

## Hostile headers and bombs under a 1 GiB address-space limit: one clear line, exit 1, no crash.
check-hostile: build
	bash Tools/hostile/check.sh .build/debug/medsr

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

## Dataset build speed: medsr build vs a Pillow + numpy + zarr-python pipeline, side by side.
bench-build: release
	bash Tools/bench/run_build.sh

clean:
	rm -rf .build $(DEMO_OUT)
