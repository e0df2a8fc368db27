// The openmetrics-check script command: an audit's OpenMetrics file read
// back with the Prometheus project's parsers and compared with the fake's
// tokens.

package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// decodeOpenMetrics reads an exposition with the format's own parsers: the
// strict OpenMetrics 1.0 one (the grammar, "# EOF", one block per metric)
// and the text parser node_exporter's textfile collector uses. Both must
// accept it and agree on the samples; it returns the families by name.
func decodeOpenMetrics(text []byte) (map[string]*dto.MetricFamily, error) {
	if !bytes.HasSuffix(text, []byte("\n# EOF\n")) {
		return nil, errors.New("the exposition does not end with # EOF")
	}
	strict := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(bytes.NewReader(text), expfmt.FmtOpenMetrics_1_0_0)
	for {
		var f dto.MetricFamily
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("OpenMetrics 1.0 parser: %w", err)
		}
		if _, ok := strict[f.GetName()]; ok {
			return nil, fmt.Errorf("%s: two blocks", f.GetName())
		}
		strict[f.GetName()] = &f
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	textfile, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("the textfile collector's parser: %w", err)
	}
	if len(strict) != len(textfile) {
		return nil, fmt.Errorf("the parsers read %d and %d metrics", len(strict), len(textfile))
	}
	for name, f := range strict {
		if got, want := len(textfile[name].GetMetric()), len(f.GetMetric()); got != want {
			return nil, fmt.Errorf("%s: the parsers read %d and %d samples", name, got, want)
		}
	}
	return strict, nil
}

// cmdOpenMetricsCheck: openmetrics-check [-failed N] [-skip SCOPE]... FILE
//
// FILE (audit -o openmetrics) must parse with both parsers, and its
// bitbucket_access_token_audit_scopes_failed must be N (default 0). With a
// fake started, each token of the fake outside the skipped scopes must have
// an expiry sample equal to its expiry date (none when it never expires)
// and a last-use sample equal to its last authentication (none when never
// used), labelled with its scope, and no other token may have a sample.
func cmdOpenMetricsCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! openmetrics-check")
	}
	fs := flag.NewFlagSet("openmetrics-check", flag.ContinueOnError)
	failed := fs.Int("failed", 0, "scopes the audit could not read")
	var skip scopeList
	fs.Var(&skip, "skip", "a scope whose tokens are not in the file (repeatable)")
	ts.Check(fs.Parse(args))
	if fs.NArg() != 1 {
		ts.Fatalf("usage: openmetrics-check [-failed N] [-skip SCOPE]... FILE")
	}
	families, err := decodeOpenMetrics([]byte(ts.ReadFile(fs.Arg(0))))
	ts.Check(err)
	scopesFailed := families[metricScopesFailed].GetMetric()
	if len(scopesFailed) != 1 || scopesFailed[0].GetGauge().GetValue() != float64(*failed) {
		ts.Fatalf("%s: %v, want one sample of %d", metricScopesFailed, scopesFailed, *failed)
	}
	st := stateOf(ts)
	if st.fake == nil {
		return
	}
	want := map[string]expectedDates{}
	for _, tok := range st.fake.Tokens() {
		if !skip[tok.Scope] {
			want[tok.ID] = expectedDates{scope: tok.Scope, token: tok}
		}
	}
	ts.Check(sameDates(families[metricExpiry], want, func(d expectedDates) string { return secondsOf(d.token.Expiry) }))
	ts.Check(sameDates(families[metricLastUsed], want, func(d expectedDates) string { return secondsOf(d.token.LastAuthenticated) }))
}

// expectedDates is a token of the fake as the metrics must show it.
type expectedDates struct {
	scope string
	token accesstokenstest.TokenInfo
}

// sameDates checks a per-token metric against the fake's tokens: one
// sample per token with the date (value: date(token)), in its scope, and
// none for a token without it or unknown to the fake.
func sameDates(f *dto.MetricFamily, want map[string]expectedDates, date func(expectedDates) string) error {
	seen := map[string]bool{}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		id := labels["id"]
		w, ok := want[id]
		switch {
		case !ok:
			return fmt.Errorf("%s: a sample for token %q, which the fake does not hold in the scopes read", f.GetName(), id)
		case seen[id]:
			return fmt.Errorf("%s: two samples for token %s", f.GetName(), id)
		case labels["scope"] != w.scope:
			return fmt.Errorf("%s: token %s in scope %q, want %q", f.GetName(), id, labels["scope"], w.scope)
		}
		seen[id] = true
		if got, want := model.SampleValue(m.GetGauge().GetValue()).String(), date(w); got != want {
			return fmt.Errorf("%s: token %s is %s, want %q", f.GetName(), id, got, want)
		}
	}
	for id, w := range want {
		if !seen[id] && date(w) != "" {
			return fmt.Errorf("%s: no sample for token %s (%s)", f.GetName(), id, date(w))
		}
	}
	return nil
}

// secondsOf is a date as the metrics write it (Unix seconds with its
// milliseconds); "" for none.
func secondsOf(d *time.Time) string {
	if d == nil {
		return ""
	}
	return unixSeconds(*d)
}

// scopeList is a repeatable flag of scopes.
type scopeList map[string]bool

func (s *scopeList) String() string { return strconv.Itoa(len(*s)) }

func (s *scopeList) Set(v string) error {
	if *s == nil {
		*s = scopeList{}
	}
	(*s)[v] = true
	return nil
}
