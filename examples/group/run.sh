#!/bin/sh
# Runs the group example against the Tusk server at $TUSK_ADDRESS (default
# 127.0.0.1:1650), with `tusk` from PATH, and prints the result.
set -eu
here=$(dirname "$0")

# show prints every file of a reduce pipeline's output.
show() {
	dir=$(mktemp -d)
	tusk get file -r "$1@master:/" -o "$dir"
	for f in "$dir"/*; do
		echo "-- $1: ${f##*/}"
		cat "$f"
	done
	rm -rf "$dir"
}

echo "== the labresults repo, and four pipelines"
tusk create repo labresults
tusk create pipeline -f "$here/pipelines.yaml"
tusk list pipeline

echo "== lab results arrive"
id=$(tusk start commit labresults@master)
tusk put file -r labresults@master:/ -f "$here/labresults"
tusk finish commit labresults@master
tusk wait commit "$id" >/dev/null
tusk list file labresults@master
echo "One datum per patient, holding all of that patient's files:"
tusk list datum "group_by_patient@$id"
show reduce_group_by_patient
show reduce_group_by_hospital

echo "== a new result for patient 2 from lab 24D0000002: only those two groups run again"
id=$(tusk start commit labresults@master)
tusk put file labresults@master -f "$here/more/T1700000106-LIPID-PATID2-CLIA24D0000002.txt"
tusk finish commit labresults@master
tusk wait commit "$id" >/dev/null
tusk list job "$id"
show reduce_group_by_patient
show reduce_group_by_hospital
