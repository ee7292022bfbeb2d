#!/bin/sh
# Runs the word count example against the Tusk server at $TUSK_ADDRESS
# (default 127.0.0.1:1650), with `tusk` from PATH, and prints the result.
set -eu
here=$(dirname "$0")

# show_counts prints the $1 most frequent words with their counts.
show_counts() {
	dir=$(mktemp -d)
	tusk get file -r reduce@master:/ -o "$dir"
	for f in "$dir"/*; do
		printf '%s %s\n' "$(cat "$f")" "${f##*/}"
	done | sort -k1,1nr -k2,2 | head -n "$1"
	rm -rf "$dir"
}

echo "== the documents repo, and the map and reduce pipelines"
tusk create repo documents
tusk create pipeline -f "$here/map.json"
tusk create pipeline -f "$here/reduce.json"
tusk list pipeline

echo "== three documents: map runs one datum per document, reduce one over all of map"
id=$(tusk start commit documents@master)
tusk put file documents@master -f "$here/data/fox.txt" -f "$here/data/bees.txt" -f "$here/data/rain.txt"
tusk finish commit documents@master
tusk wait commit "$id" >/dev/null
tusk list job "$id"
tusk list file map@master
echo "The ten most frequent words:"
show_counts 10

echo "== a fourth document: map runs one datum, the other three are skipped"
id=$(tusk start commit documents@master)
tusk put file documents@master -f "$here/more/owl.txt"
tusk finish commit documents@master
tusk wait commit "$id" >/dev/null
tusk list job "$id"
echo "The ten most frequent words now:"
show_counts 10
