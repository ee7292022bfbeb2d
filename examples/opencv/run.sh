#!/bin/sh
# Runs the opencv example against the Tusk server at $TUSK_ADDRESS (default
# 127.0.0.1:1650), with `tusk` from PATH, and writes the montage it makes to
# montage.png in the current directory. Needs ImageMagick (convert and
# montage), both here, to draw the input images, and for the pipelines.
set -eu
here=$(dirname "$0")

if ! command -v montage >/dev/null || ! command -v convert >/dev/null; then
	echo "run.sh: this example needs ImageMagick: apt-get install imagemagick" >&2
	exit 1
fi

# Draw the input images, so that nothing has to be downloaded.
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
convert -size 200x200 gradient:navy-skyblue -fill gold \
	-draw 'polygon 100,20 120,80 180,80 130,115 150,175 100,140 50,175 70,115 20,80 80,80' "$src/star.png"
convert -size 200x200 xc:white -fill SteelBlue -draw 'circle 100,100 100,40' \
	-fill orange -draw 'rectangle 20,130 90,180' "$src/shapes.png"
convert rose: -resize 200x200 "$src/rose.png"
convert -size 200x200 pattern:checkerboard "$src/checkerboard.png"

echo "== the images repo, and the edges and montage pipelines"
tusk create repo images
tusk create pipeline -f "$here/edges.json"
tusk create pipeline -f "$here/montage.json"
tusk list pipeline

echo "== three images: edges runs one datum per image, montage one over everything"
id=$(tusk start commit images@master)
tusk put file images@master -f "$src/star.png" -f "$src/shapes.png" -f "$src/rose.png"
tusk finish commit images@master
tusk wait commit "$id" >/dev/null
tusk list job "$id"
tusk list file edges@master

echo "== a fourth image: edges runs one datum, the other three are skipped"
id=$(tusk start commit images@master)
tusk put file images@master -f "$src/checkerboard.png"
tusk finish commit images@master
tusk wait commit "$id" >/dev/null
tusk list job "$id"
tusk list file edges@master
tusk get file montage@master:/montage.png -o montage.png
echo "The montage of the four images and their edges is in $(pwd)/montage.png"
