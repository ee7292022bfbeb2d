package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tuskdata/tusk/internal/meta"
)

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tusk_http_requests_total", Help: "API requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tusk_http_request_seconds", Help: "API request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"route"}),
		bytesIn:  prometheus.NewCounter(prometheus.CounterOpts{Name: "tusk_chunk_bytes_received_total", Help: "Encoded chunk bytes uploaded."}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "tusk_file_bytes_sent_total", Help: "File content bytes served."}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.bytesIn, m.bytesOut,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchMeta exports the transactions db has run.
func (m *metrics) watchMeta(db *meta.DB) {
	for _, kind := range []string{"read", "write"} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tusk_meta_transactions_total", Help: "Metadata store transactions begun, retries included.",
			ConstLabels: prometheus.Labels{"kind": kind},
		}, func() float64 {
			st := db.Stats()
			if kind == "read" {
				return float64(st.Reads)
			}
			return float64(st.Writes)
		}))
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "tusk_meta_transaction_retries_total", Help: "Metadata store transactions run again after a conflict.",
	}, func() float64 { return float64(db.Stats().Retries) }))
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// wrap counts and times the requests of the route pattern; the pattern,
// not the path, is the label, so that the label set stays small.
func (m *metrics) wrap(pattern string, next http.Handler) http.Handler {
	latency := m.latency.WithLabelValues(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.requests.WithLabelValues(pattern, strconv.Itoa(sw.code)).Inc()
		latency.Observe(time.Since(start).Seconds())
	})
}

// MetadataStats returns the transactions the server's metadata store has
// run.
func (s *Server) MetadataStats() meta.Stats { return s.db.Stats() }
