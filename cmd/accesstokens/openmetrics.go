// audit -o openmetrics: the inventory as Prometheus metrics, in the
// OpenMetrics text format that node_exporter's textfile collector reads,
// written with the Prometheus project's own encoder (prometheus/common's
// expfmt), so that escaping and layout are the format's, not ours.

package main

import (
	"bufio"
	"io"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/bbdc-tools/accesstokens/audit"
)

// openMetricsFormat is audit's -o value for OpenMetrics text.
const openMetricsFormat = "openmetrics"

// The metric names and labels, fixed by the command's contract.
const (
	metricExpiry       = "bitbucket_access_token_expiry_timestamp_seconds"
	metricLastUsed     = "bitbucket_access_token_last_authenticated_timestamp_seconds"
	metricFindings     = "bitbucket_access_tokens"
	metricScopesFailed = "bitbucket_access_token_audit_scopes_failed"
)

// tokenLabels are the labels of a per-token sample, in the order written.
var tokenLabels = []string{"scope", "id", "name", "owner"}

// metricToken is what the metrics need of one token.
type metricToken struct {
	labels           [4]string // tokenLabels' values
	expiry, lastUsed *time.Time
}

// openMetricsWriter is an audit.Writer of OpenMetrics text. A metric's
// samples must come together, after its header, so the tokens are held
// (a few strings and two dates each) until Close writes everything, in the
// order read, each (scope, id) once: a scope read twice would otherwise
// give duplicate samples, for which the textfile collector drops the file.
type openMetricsWriter struct {
	w        io.Writer
	seen     map[tokenKey]bool
	tokens   []metricToken
	findings map[audit.Finding]int
}

// newOpenMetricsWriter returns the writer of audit -o openmetrics to w.
func newOpenMetricsWriter(w io.Writer) audit.Writer {
	return &openMetricsWriter{w: w, seen: map[tokenKey]bool{}, findings: map[audit.Finding]int{}}
}

// Write keeps what the metrics need of t.
func (m *openMetricsWriter) Write(t audit.Token) error {
	key := tokenKey{t.Scope, t.ID}
	if m.seen[key] {
		return nil
	}
	m.seen[key] = true
	m.tokens = append(m.tokens, metricToken{
		labels:   [4]string{labelValue(t.Scope.String()), labelValue(t.ID), labelValue(t.Name), labelValue(t.Owner())},
		expiry:   t.ExpiryDate,
		lastUsed: t.LastAuthenticated,
	})
	for _, f := range t.Findings {
		m.findings[f]++
	}
	return nil
}

// labelValue makes s a valid label value: the format escapes quotes,
// backslashes and line feeds itself, but wants UTF-8.
func labelValue(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// Close writes every metric, then the "# EOF" that ends an exposition.
func (m *openMetricsWriter) Close(s audit.Summary) error {
	bw := bufio.NewWriterSize(m.w, 64<<10)
	families := []*dto.MetricFamily{
		m.timestamps(metricExpiry, "When the token expires; absent for a token that never expires.",
			func(t *metricToken) *time.Time { return t.expiry }),
		m.timestamps(metricLastUsed, "When the token last authenticated; absent for a token never used.",
			func(t *metricToken) *time.Time { return t.lastUsed }),
		m.findingCounts(),
		gaugeFamily(metricScopesFailed, "Scopes the audit could not read: when not 0, tokens may be missing.", "",
			gaugeSample(float64(len(s.Failed)))),
	}
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToOpenMetrics(bw, f); err != nil {
			return err
		}
	}
	if _, err := expfmt.FinalizeOpenMetrics(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// timestamps is a gauge of one date of each token, in Unix seconds
// (milliseconds as the fraction); a token without the date has no sample.
func (m *openMetricsWriter) timestamps(name, help string, date func(*metricToken) *time.Time) *dto.MetricFamily {
	var samples []*dto.Metric
	for i := range m.tokens {
		t := &m.tokens[i]
		d := date(t)
		if d == nil {
			continue
		}
		sample := gaugeSample(float64(d.UnixMilli()) / 1000)
		for j, l := range tokenLabels {
			sample.Label = append(sample.Label, &dto.LabelPair{Name: &l, Value: &t.labels[j]})
		}
		samples = append(samples, sample)
	}
	return gaugeFamily(name, help, "seconds", samples...)
}

// findingCounts is a gauge of how many tokens carry each finding, 0 included.
func (m *openMetricsWriter) findingCounts() *dto.MetricFamily {
	var samples []*dto.Metric
	label := "finding"
	for _, f := range audit.AllFindings() {
		value := string(f)
		sample := gaugeSample(float64(m.findings[f]))
		sample.Label = []*dto.LabelPair{{Name: &label, Value: &value}}
		samples = append(samples, sample)
	}
	return gaugeFamily(metricFindings, "Tokens with each finding of the audit.", "", samples...)
}

func gaugeFamily(name, help, unit string, samples ...*dto.Metric) *dto.MetricFamily {
	gauge := dto.MetricType_GAUGE
	f := &dto.MetricFamily{Name: &name, Help: &help, Type: &gauge, Metric: samples}
	if unit != "" {
		f.Unit = &unit
	}
	return f
}

func gaugeSample(v float64) *dto.Metric { return &dto.Metric{Gauge: &dto.Gauge{Value: &v}} }
