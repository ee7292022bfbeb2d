package tusk

// DataRef locates part of a file's content inside a stored chunk.
type DataRef struct {
	Chunk  string `json:"chunk"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// File operation kinds, in a modify-file stream.
const (
	OpPut    = "put"
	OpDelete = "delete"
	OpCopy   = "copy"
)

// FileOp is one operation of a modify-file stream. Operations apply in
// order: a put then a delete of "/" leaves nothing.
type FileOp struct {
	Op     string    `json:"op"`
	Path   string    `json:"path"`
	Append bool      `json:"append,omitempty"`
	Size   int64     `json:"size,omitempty"`
	Hash   string    `json:"hash,omitempty"` // hex BLAKE3-256, see docs/format.md
	Refs   []DataRef `json:"refs,omitempty"`
	Src    string    `json:"src,omitempty"` // copy: "repo@ref:/path"
}
