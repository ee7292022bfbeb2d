// Package archtest holds the test that enforces the layering of Tusk's
// packages: the rules in the "Dependency rules" section of
// docs/architecture.md, which the test reads from there, so that the doc
// and what is enforced are one text.
package archtest
