package meta_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/testenv"
)

// TestPostgresDatumStatistics checks that the planner knows a freshly
// planned job's datums once AnalyzeDatums ran, so that it looks a datum
// up by its key (in a new database it took the table for one row and
// walked every datum of the pipeline through another index), and that it
// keeps no statistics of the datums' states, which are out of date within
// seconds.
func TestPostgresDatumStatistics(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	db := open(t, dsn)
	ctx := t.Context()
	const n = 3000
	rows := make([]meta.PlannedDatum, n)
	for i := range rows {
		rows[i] = meta.PlannedDatum{ID: fmt.Sprintf("d%05d", i), State: "QUEUED", Index: int64(i), Data: []byte(`{}`)}
	}
	if err := db.Update(ctx, func(tx *meta.Tx) error { return tx.InsertDatums(ctx, "default", "p", "j", rows) }); err != nil {
		t.Fatal(err)
	}
	if err := db.AnalyzeDatums(ctx, n); err != nil {
		t.Fatalf("AnalyzeDatums: %v", err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var tuples float64
	if err := raw.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'datums'::regclass`).Scan(&tuples); err != nil {
		t.Fatal(err)
	}
	if tuples < n {
		t.Errorf("the planner counts %.0f datums after AnalyzeDatums, want %d", tuples, n)
	}
	columns := map[string]bool{}
	stats, err := raw.QueryContext(ctx, `SELECT attname FROM pg_stats WHERE tablename = 'datums'`)
	if err != nil {
		t.Fatal(err)
	}
	for stats.Next() {
		var c string
		if err := stats.Scan(&c); err != nil {
			t.Fatal(err)
		}
		columns[c] = true
	}
	if err := stats.Close(); err != nil {
		t.Fatal(err)
	}
	if !columns["job"] || columns["state"] {
		t.Errorf("statistics of the datums' columns %v, want job's and none of state", columns)
	}
	var plan strings.Builder
	lines, err := raw.QueryContext(ctx, `EXPLAIN SELECT data FROM datums WHERE project = 'default' AND pipeline = 'p' AND job = 'j' AND id = 'd01234'`)
	if err != nil {
		t.Fatal(err)
	}
	for lines.Next() {
		var l string
		if err := lines.Scan(&l); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(l + "\n")
	}
	if err := lines.Close(); err != nil {
		t.Fatal(err)
	}
	// The key's ID must be a condition of the index scan, not a filter
	// over the rows it walks.
	keyed := false
	for l := range strings.Lines(plan.String()) {
		keyed = keyed || strings.Contains(l, "Index Cond: ") && strings.Contains(l, "(id = 'd01234'::text)")
	}
	if !keyed {
		t.Errorf("a datum is looked up without its key:\n%s", plan.String())
	}
	// A small plan leaves the statistics to autovacuum.
	if err := db.AnalyzeDatums(ctx, 10); err != nil {
		t.Errorf("AnalyzeDatums of a small plan: %v", err)
	}
}
