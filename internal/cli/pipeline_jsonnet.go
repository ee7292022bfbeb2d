package cli

import (
	"fmt"
	"strings"

	"github.com/google/go-jsonnet"
)

// Pipeline templates, as pachctl takes them: a Jsonnet file whose value is
// a pipeline spec, or an array of them; usually a function whose
// parameters --arg name=value gives (Jsonnet's top-level arguments), such
// as Pachyderm's edges.jsonnet:
//
//	function(suffix, src) { pipeline: { name: "edges-" + suffix }, ... }

// evalJSONNet evaluates the template in file with the --arg values, and
// returns the JSON of its specs.
func evalJSONNet(file string, args []string) ([]byte, error) {
	vm := jsonnet.MakeVM()
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("--arg %q: want name=value", a)
		}
		vm.TLAVar(k, v)
	}
	out, err := vm.EvaluateFile(file)
	if err != nil {
		return nil, fmt.Errorf("evaluate the pipeline template %s: %w", file, err)
	}
	return []byte(out), nil
}
