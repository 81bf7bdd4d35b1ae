#!/bin/bash
# The host half of `make bench` for the store's journal (issue 23, item 8):
# for each size, a store of that many chunks written by
# tools/ima-export/tests/bench-journal on /var/tmp (a real disk: the
# export's fsyncs count), and one line on stdout:
#   journal CHUNKS journal_bytes B parse_first_ms P1 first_export_ms E1
#           parse_ms P export_ms E
# parse_first_ms: a reader's first open of the store (every journal read:
# what status and cat pay); first_export_ms: the export that seals a long
# journal; then parse_ms: a reader's next open in the same process (the
# view's refresh) and export_ms: the next export.  Exports of 100 records,
# with their fsyncs.  About 10 seconds.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
ie=$top/tools/ima-export
make -s -C "$ie" tests/bench-journal || exit 1
work=$(mktemp -d /var/tmp/ima-export-journal-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
for n in ${JOURNAL_SIZES:-1 35000}; do
	"$ie/tests/bench-journal" $work/s$n $n || exit 1
	rm -rf $work/s$n
done
