package runner

// Preparing is the error Ensure returns while a pipeline's workers cannot
// start yet for a reason that is no failure, such as their image being
// pulled. The scheduler shows Reason in the pipeline's state, does not
// count the time towards the workers' start timeout, and calls Ensure
// again soon.
type Preparing struct {
	Reason string
}

func (p *Preparing) Error() string { return p.Reason }
