// Package metatest is the conformance suite of the metadata store: one set
// of tests that every dialect of package meta (SQLite and PostgreSQL) must
// pass, so that the two behave the same to the rest of Tusk.
//
// A dialect's test calls Run with a function that opens a fresh, empty
// store for each subtest and closes it when the subtest ends:
//
//	metatest.Run(t, func(t *testing.T) *meta.DB {
//		db, err := meta.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
//		…
//	})
//
// and Reopen with a DSN to check that data survives closing the store.
package metatest
