package datum

import "path"

// Env returns the environment variables that describe d to the user's
// code, with the inputs' data under pfsRoot (normally "/pfs"):
//
//	<name>=<pfsRoot>/<name><path>      where the input's match is, without
//	                                   a trailing slash: /pfs/images for "/"
//	<name>_COMMIT=<commit>
//	PACH_DATUM_<name>_JOIN_ON=<key>    if the input has a join key
//	PACH_DATUM_<name>_GROUP_BY=<key>   if the input has a group key
//	PACH_DATUM_ID=<ID(d)>
//
// A group datum may hold several items of one input; as in Pachyderm, the
// variables then describe the last. Job-wide variables such as PACH_JOB_ID
// are the caller's to add.
func Env(d Datum, pfsRoot string) []string {
	var env []string
	index := map[string]int{}
	set := func(key, value string) {
		if i, ok := index[key]; ok {
			env[i] = key + "=" + value
			return
		}
		index[key] = len(env)
		env = append(env, key+"="+value)
	}
	for _, in := range d.Inputs {
		set(in.Name, path.Join(pfsRoot, in.Name, in.Path))
		set(in.Name+"_COMMIT", in.Commit)
		if in.JoinOn != "" {
			set("PACH_DATUM_"+in.Name+"_JOIN_ON", in.JoinOn)
		}
		if in.GroupBy != "" {
			set("PACH_DATUM_"+in.Name+"_GROUP_BY", in.GroupBy)
		}
	}
	set("PACH_DATUM_ID", ID(d))
	return env
}
