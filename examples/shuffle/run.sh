#!/bin/sh
# Runs the shuffle example against the Tusk server at $TUSK_ADDRESS (default
# 127.0.0.1:1650), with `tusk` from PATH, and prints the result.
set -eu
here=$(dirname "$0")

echo "== the fruits and pricing repos, and the shuffle pipeline"
tusk create repo fruits
tusk create repo pricing
tusk put file -r fruits@master:/ -f "$here/fruits"
tusk put file -r pricing@master:/ -f "$here/pricing"
tusk create pipeline -f "$here/shuffle.json"
tusk wait commit shuffle@master >/dev/null
tusk list job -p shuffle

echo "== each fruit's directory holds its image and its price"
tusk glob file "shuffle@master:/*/*"
echo "The price of mango, read back from the output repo:"
tusk get file shuffle@master:/mango/cost.json

echo "== a new fruit, one commit to each repo: each job runs one new datum and skips the rest"
tusk put file fruits@master -f "$here/more/plum.jpeg"
id=$(tusk start commit pricing@master)
tusk put file pricing@master -f "$here/more/plum.json"
tusk finish commit pricing@master
tusk wait commit "$id" >/dev/null
tusk list job -p shuffle
tusk glob file "shuffle@master:/*/*"
