// Package datum turns a pipeline's input tree into its datums: the units of
// work the pipeline's code runs on, one at a time.
//
// For each PFS input the caller lists the files of the input commit; the
// glob picks paths among those files and the directories they imply, and
// each match is one datum item holding every file under it. Combinations
// then build datums from items:
//
//	pfs    one datum per match, in path order ("/dir/" sorts as written,
//	       with its trailing slash)
//	cron   a PFS input on the cron repo with glob "/*"
//	cross  the cartesian product of the children, the first child varying
//	       slowest; a child without datums leaves none
//	union  the children's datums one child after another
//	join   per join_on key, in key order, the cross product of the items of
//	       every child with that key; a key some child lacks yields datums
//	       of the items of its outer_join children only
//	group  per group_by key, in key order, one datum of all the items of all
//	       children with that key, child after child
//
// The inputs of a datum come in the order of the children, so SortInput
// (package spec) must be applied to the tree first, as at pipeline
// creation. A union or join that would produce the same datum twice keeps
// the first.
//
// ID identifies a datum by its input names, repos, branches and matched
// paths, not their content, so it is stable across commits; Hash also
// covers the content of its files and the pipeline's salt, and tells
// whether a datum must be processed again. A datum's Key sorts as the
// datum comes in that order, and is stable across commits too, so that
// datums kept from an earlier job and new ones can be listed in order.
// Count tells how many datums a tree has, or a bound of it, from the
// matches of its PFS inputs, without making them, so that a tree with too
// many can be refused first. Affected tells which datums of a PFS input a
// change of some files may touch. Env gives the environment variables that
// describe a datum to the user's code.
package datum
