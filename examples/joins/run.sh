#!/bin/sh
# Runs the joins example against the Tusk server at $TUSK_ADDRESS (default
# 127.0.0.1:1650), with `tusk` from PATH, and prints the result.
set -eu
here=$(dirname "$0")

# show_zipcodes prints the report of every zipcode.
show_zipcodes() {
	dir=$(mktemp -d)
	tusk get file -r reduce_inner@master:/ -o "$dir"
	for f in "$dir"/*; do
		echo "-- ${f##*/}"
		cat "$f"
	done
	rm -rf "$dir"
}

echo "== the stores repo, and the two pipelines"
tusk create repo stores
tusk create repo purchases
tusk put file stores@master:/ -r -f "$here/stores"
tusk list file stores@master
tusk create pipeline -f "$here/inner_join.json"
tusk create pipeline -f "$here/reduce_inner.json"

echo "== purchases arrive: the join pairs each one with its store"
id=$(tusk start commit purchases@master)
tusk put file purchases@master:/ -r -f "$here/purchases"
tusk finish commit purchases@master
tusk wait commit "$id" >/dev/null
tusk list file purchases@master
echo "Store 4 has no purchase and store 9 does not exist: the inner join drops both."
tusk list datum "inner_join@$id"
show_zipcodes

echo "== store 4 makes a sale: one new datum, the others are skipped"
id=$(tusk start commit purchases@master)
tusk put file purchases@master -f "$here/more/ORDERW1007_STOREID4.txt"
tusk finish commit purchases@master
tusk wait commit "$id" >/dev/null
tusk list datum "inner_join@$id"
show_zipcodes
