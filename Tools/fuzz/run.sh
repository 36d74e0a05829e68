#!/usr/bin/env bash
# Build the libFuzzer harness (Tools/fuzz/Fuzz.swift) against MedSR's library targets compiled
# with -sanitize=fuzzer,address, then fuzz every target for SECONDS each, seeded from the
# fixtures. A crash, a hang (> 2 s) or an ASan report stops that target and fails the run;
# the offending input is kept under .build-fuzz/findings/. Single allocations are allowed up to
# 4.2 GB: DCMTK reserves (virtual, untouched) memory for any element length a header declares,
# up to 4 GiB, and fails cleanly when it cannot (make check-hostile proves that under a 1 GiB
# address-space limit); MedSR's own --max-mb default is 4 GiB.
# usage: run.sh [SECONDS | ci] [TARGET...]   (targets: all by default)
#   SECONDS: each target for that long (exploration; new findings are expected to appear).
#   ci: each target for a fixed number of runs from a fixed seed (about 45 s each here), so
#       CI is reproducible: what passes on this machine passes in CI.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-60}
only=" ${*:2} "
flags=(-Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address)
for t in MedIO MedDataset MedNN; do
  if ! swift build --scratch-path .build-fuzz --target "$t" "${flags[@]}" > .build-fuzz-build.log 2>&1; then
    grep -E "error" .build-fuzz-build.log | head; exit 1
  fi
done
objects=$(find .build-fuzz/debug/{CDCMTK,CMatio,CPNG,CTIFF,CJPEG,CBMP,CNIfTI,CKernels,MedKernels,MedImage,MedIO,Zarr,MedDataset,MedNN,Crypto,CryptoBoringWrapper,CCryptoBoringSSL,CCryptoBoringSSLShims}.build -name "*.o")
maps=()
for m in CDCMTK CMatio CPNG CTIFF CJPEG CBMP CNIfTI CKernels; do maps+=(-Xcc -fmodule-map-file=.build-fuzz/debug/$m.build/module.modulemap); done
if ! swiftc -sanitize=fuzzer,address -parse-as-library -I .build-fuzz/debug/Modules "${maps[@]}" \
  -Xcc -fmodule-map-file=Sources/CZstd/module.modulemap -Xcc -fmodule-map-file=Sources/CBLAS/module.modulemap \
  $(for m in CLibPNG CLibTIFF CHDF5 COpenJPEG CLibTurboJPEG CLibSTB; do echo -Xcc -fmodule-map-file=Sources/$m/module.modulemap; done) \
  -Xcc -I/usr/include/hdf5/serial -Xcc -I/usr/include/libpng16 -Xcc -I/usr/include/openjpeg-2.5 \
  Tools/fuzz/Fuzz.swift $objects -o .build-fuzz/fuzz-readers \
  -L/usr/lib/x86_64-linux-gnu/hdf5/serial -ldcmjpls -ldcmjpeg -ldcmimage -ldcmimgle -ldcmdata -loflog -lofstd \
  -lopenjp2 -lz -lmatio -lhdf5 -lpng16 -ltiff -lturbojpeg -lstb -lnifti2 -lznz -lzstd -lopenblas -lstdc++ > .build-fuzz-link.log 2>&1; then
  grep -E "error" .build-fuzz-link.log | head; exit 1
fi
mkdir -p .build-fuzz/findings
status=0
run() {  # target, runs in ci mode, seed folders...
  local target=$1 runs=$2; shift 2
  [ "$only" = "  " ] || [[ "$only" == *" $target "* ]] || return 0
  local corpus=.build-fuzz/corpus/$target
  [ "$mode" = ci ] && rm -rf "$corpus"
  mkdir -p "$corpus"
  for seed in "$@"; do find "$seed" -type f -size -256k -exec cp {} "$corpus/" \; 2>/dev/null; done
  local budget=(-max_total_time="$mode")
  if [ "$mode" = ci ]; then budget=(-runs="$runs" -seed=1); echo "== fuzz $target: $runs runs, seed 1"; else echo "== fuzz $target for ${mode}s"; fi
  MEDSR_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    LSAN_OPTIONS=suppressions=Tools/fuzz/lsan.supp:print_suppressions=0 \
    .build-fuzz/fuzz-readers "$corpus" "${budget[@]}" -max_len=262144 -timeout=2 -rss_limit_mb=2048 -malloc_limit_mb=4200 \
    -artifact_prefix=.build-fuzz/findings/$target- -print_final_stats=1 > .build-fuzz/$target.log 2>&1
  local rc=$?
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" .build-fuzz/$target.log | tr '\n' ' '; echo
  if [ $rc -ne 0 ]; then status=1; echo "FINDING in $target:"; grep -E "ERROR|SUMMARY|Test unit written" .build-fuzz/$target.log | head -5; fi
}
run dicom 3000 Fixtures/dicom
run png 60000 Fixtures/png/types Fixtures/png/reference
run tiff 4000 Fixtures/tiff
run jpeg 20000 Fixtures/jpeg
run bmp 60000 Fixtures/bmp
run nifti 3000 Fixtures/nifti  # .nii and .nii.gz seeds; the corpus files lose their names (found by content)
run mat 1000 Fixtures/mat  # v7.3 inputs are read by reader processes (see Sources/CMatio/msr_reader_pool.c)
run recipe 1000000 Manifests
run safetensors 100000 Fixtures/nn
run json 300000 Fixtures/metrics Fixtures/resample
exit $status
