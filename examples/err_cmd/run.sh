#!/bin/sh
# Runs the err_cmd example against the Tusk server at $TUSK_ADDRESS (default
# 127.0.0.1:1650), with `tusk` from PATH, and prints the result.
set -eu
here=$(dirname "$0")

# put_and_wait puts $2 into the input repo as the file $1, waits for the job
# it starts, and prints the jobs of the pipeline. With $3 = fails, the job
# must fail, and wait commit must say so with its exit status.
put_and_wait() {
	id=$(tusk start commit input@master)
	echo "$2" | tusk put file "input@master:/$1"
	tusk finish commit input@master
	if [ "${3:-}" = fails ]; then
		if tusk wait commit "$id" >/dev/null 2>&1; then
			echo "wait commit exited 0 for a failed job" >&2
			exit 1
		fi
	else
		tusk wait commit "$id" >/dev/null
	fi
	tusk list job -p error_test
}

echo "== the input repo, and the error_test pipeline"
tusk create repo input
tusk create pipeline -f "$here/error_test.json"

echo "== file1: its datum succeeds"
put_and_wait file1 foo
echo "== file2: cmd fails, err_cmd exits 0, so the datum is recovered and the job succeeds"
put_and_wait file2 bar
tusk list file error_test@master
echo "== file3: cmd and err_cmd both fail, so the job fails"
put_and_wait file3 baz fails
tusk list datum "error_test@$id"
