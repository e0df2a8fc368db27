package accesstokens

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// Dates on the wire: Bitbucket's epoch milliseconds, or ISO-8601 strings
// from a server that follows the published specification.

// jsonTime decodes Bitbucket's epoch-millisecond dates and, in case a server
// follows the published spec, ISO-8601 strings. Absent or null stays zero.
// A date outside the years 1970 to 9999 is an error: no token has one, and
// a number such as 1e30 would otherwise become a date nobody can use.
type jsonTime struct{ t time.Time }

// Epoch milliseconds of the first and the last instant a date may have.
const (
	minDateMillis = 0               // 1970-01-01T00:00:00Z
	maxDateMillis = 253402300799999 // 9999-12-31T23:59:59.999Z
)

func (j *jsonTime) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return j.setMillis(float64(ms), b)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return dateError(nil, "a string that is neither epoch milliseconds nor ISO-8601")
		}
		if t.Year() < 1970 || t.Year() > 9999 {
			return dateError(b, "outside the years 1970 to 9999")
		}
		j.t = t.UTC()
		return nil
	}
	if ms, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return j.setMillis(float64(ms), b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return dateError(nil, "not epoch milliseconds")
	}
	return j.setMillis(f, b)
}

// setMillis sets the date from epoch milliseconds, checked against the range
// before any conversion can overflow.
func (j *jsonTime) setMillis(ms float64, raw []byte) error {
	if !(ms >= minDateMillis && ms <= maxDateMillis) { // also false for NaN
		return dateError(raw, "outside the years 1970 to 9999")
	}
	j.t = time.UnixMilli(int64(ms)).UTC()
	return nil
}

// dateError is a json.UnmarshalTypeError, which encoding/json completes with
// the name of the field being decoded: the error then says which date is bad.
// It quotes raw, the value, only when that is a number or a date: any other
// text may be something the server echoed (a credential in a header, say).
func dateError(raw []byte, why string) error {
	value := "date (" + why + ")"
	if raw != nil {
		value = "date " + truncate(string(raw), 40) + " (" + why + ")"
	}
	return &json.UnmarshalTypeError{Value: value, Type: reflect.TypeFor[time.Time]()}
}

func (j jsonTime) ptr() *time.Time {
	if j.t.IsZero() {
		return nil
	}
	t := j.t
	return &t
}
