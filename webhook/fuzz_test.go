package webhook

import (
	"encoding/json"
	"testing"

	"github.com/hookline/hookline"
)

// FuzzParse feeds response bodies from any receiver to Parse: it must not
// panic, valid JSON must parse, and parsed data must always encode, since a
// Run's result shows it (a number beyond a double's range once made that
// fail and the Run webhook API answer 500).
func FuzzParse(f *testing.F) {
	f.Add([]byte(seedTicket), false)
	f.Add([]byte(`{"n": 1e700, "l": [-1e400, "<b>&</b>", "\u2028\ud800"]}`), false)
	f.Add([]byte(`<ticket id="388"><status>open</status><tag>a</tag><tag>b</tag></ticket>`), true)
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><a b="1">caf\xe9</a>`), true)
	f.Fuzz(func(t *testing.T, body []byte, xml bool) {
		rt := hookline.ResponseJSON
		if xml {
			rt = hookline.ResponseXML
		}
		v, err := Parse(rt, body, false)
		if err != nil {
			// Below the decoder's depth and digit limits, valid JSON parses.
			if !xml && len(body) < 1000 && json.Valid(body) {
				t.Fatalf("valid JSON %q: %v", body, err)
			}
			return
		}
		if _, err := marshalValue(v); err != nil {
			t.Fatalf("parsed %q, but the data cannot be shown: %v", body, err)
		}
	})
}
