package datum

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

func TestEnv(t *testing.T) {
	l := repos{"images": files("/liberty.png", "/dir/x.png"), "edges": files("/liberty.png")}
	tests := []struct {
		name string
		in   *spec.Input
		root string
		want [][]string // per datum, without PACH_DATUM_ID
	}{
		{"file and directory matches", pfsIn("images", "images", "/*"), "/pfs", [][]string{
			{"images=/pfs/images/dir", "images_COMMIT=c-images"},
			{"images=/pfs/images/liberty.png", "images_COMMIT=c-images"},
		}},
		{"the root and another pfs root", &spec.Input{Cross: []*spec.Input{
			pfsIn("images", "images", "/"), pfsIn("edges", "edges", "/"),
		}}, "/tmp/job/pfs", [][]string{{
			"images=/tmp/job/pfs/images", "images_COMMIT=c-images",
			"edges=/tmp/job/pfs/edges", "edges_COMMIT=c-edges",
		}}},
		{"join keys", &spec.Input{Join: []*spec.Input{
			keyed("images", "images", "/(*).png", "$1", "", false),
			keyed("edges", "edges", "/(*).png", "$1", "", false),
		}}, "/pfs", [][]string{{
			"images=/pfs/images/liberty.png", "images_COMMIT=c-images", "PACH_DATUM_images_JOIN_ON=liberty",
			"edges=/pfs/edges/liberty.png", "edges_COMMIT=c-edges", "PACH_DATUM_edges_JOIN_ON=liberty",
		}}},
		{"group keeps the last item of an input", &spec.Input{Group: []*spec.Input{
			keyed("images", "images", "/**.png", "", "all", false),
		}}, "/pfs", [][]string{{
			"images=/pfs/images/liberty.png", "images_COMMIT=c-images", "PACH_DATUM_images_GROUP_BY=all",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			datums := mustDatums(t, tt.in, l)
			var got [][]string
			for _, d := range datums {
				env := Env(d, tt.root)
				last := env[len(env)-1]
				if want := "PACH_DATUM_ID=" + ID(d); last != want {
					t.Errorf("last variable is %s, want %s", last, want)
				}
				got = append(got, env[:len(env)-1])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("env mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
