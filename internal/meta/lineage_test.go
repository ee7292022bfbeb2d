package meta_test

import (
	"testing"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/meta/metatest"
	"github.com/tuskdata/tusk/internal/testenv"
)

func TestSQLiteLineage(t *testing.T) {
	metatest.Lineage(t, func(t *testing.T) *meta.DB { return open(t, sqliteDSN(t)) })
}

func TestPostgresLineage(t *testing.T) {
	testenv.Require(t, "postgres", "TUSK_TEST_POSTGRES")
	metatest.Lineage(t, func(t *testing.T) *meta.DB { return open(t, testenv.PostgresDatabase(t)) })
}
