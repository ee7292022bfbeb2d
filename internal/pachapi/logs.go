package pachapi

import "github.com/tuskdata/tusk/internal/tusk"

// LogMessage is pps_v2.LogMessage as `pachctl logs --raw` prints it: with
// protojson's default lowerCamelCase names (pachctl formats log messages
// without UseProtoNames, unlike its other messages).
type LogMessage struct {
	ProjectName  string    `json:"projectName,omitempty"`
	PipelineName string    `json:"pipelineName,omitempty"`
	JobID        string    `json:"jobId,omitempty"`
	WorkerID     string    `json:"workerId,omitempty"`
	DatumID      string    `json:"datumId,omitempty"`
	Master       bool      `json:"master,omitempty"`
	User         bool      `json:"user,omitempty"`
	Ts           Timestamp `json:"ts,omitzero"`
	Message      string    `json:"message,omitempty"`
}

// LogMessageFrom is l as pachctl prints a log line. Lines that are not
// the user code's are Tusk's own, which `logs --master` prints: they are
// master lines.
func LogMessageFrom(l tusk.LogLine) LogMessage {
	return LogMessage{
		ProjectName:  tusk.DefaultProject,
		PipelineName: l.Pipeline,
		JobID:        l.Job,
		WorkerID:     l.Worker,
		DatumID:      l.Datum,
		Master:       !l.User,
		User:         l.User,
		Ts:           At(l.Time),
		Message:      l.Message,
	}
}
