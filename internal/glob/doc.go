// Package glob matches Pachyderm glob patterns against repository paths and
// extracts their capture groups.
//
// The syntax is the extended glob of Pachyderm's ohmyglob library, with "/"
// as the path separator:
//
//	pattern    matches
//	*          any run of characters except "/"
//	**         any run of characters, "/" included
//	?          one character except "/"
//	[abc]      one character from the class; [a-z] is a range, [!abc] and
//	           [^abc] negate, and "]" first in the class is literal
//	{a,b}      one of the comma-separated alternatives (not captured)
//	(a|b)      one of the "|"-separated alternatives, captured
//	@(a|b)     the same as (a|b)
//	?(a|b)     zero or one of the alternatives, captured
//	*(a|b)     zero or more of the alternatives, captured
//	+(a|b)     one or more of the alternatives, captured
//	!(a|b)     any run of characters except "/" that matches none of the
//	           alternatives, captured
//	\c         the character c itself
//
// A pattern always matches the whole path. Capture groups are numbered by
// the position of their opening parenthesis, from 1, as in regular
// expressions; a join_on or group_by template refers to them as $1 or ${1}.
//
// Matching is a backtracking search that visits each (instruction, position)
// pair at most once, as Go's regexp backtracker does: it reports the captures
// a greedy, leftmost-first regular expression would, and its running time
// grows polynomially with the path length, never exponentially, even for
// patterns such as /*a*a*a*b.
package glob
