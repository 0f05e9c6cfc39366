package bot

import (
	"encoding/json"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// dateLayouts are the answers a date collector accepts: ISO 8601 first,
// then day-first forms, as people outside the United States write dates.
var dateLayouts = []string{"2006-01-02", "2/1/2006", "2.1.2006", "2-1-2006"}

// check validates a collector's answer. It returns the value stored in
// extractedData (and replyData) as JSON, and false for an invalid answer.
func (c *answerCheck) check(answer string) (json.RawMessage, bool) {
	a := strings.TrimSpace(answer)
	if a == "" {
		return nil, false
	}
	switch c.typ {
	case hookline.ValidateText:
		return appendString(nil, a), true
	case hookline.ValidateNumber:
		return number(a)
	case hookline.ValidateEmail:
		addr, err := mail.ParseAddress(a)
		if err != nil || addr.Address != a || addr.Name != "" {
			return nil, false
		}
		_, domain, _ := strings.Cut(a, "@")
		if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
			return nil, false
		}
		return appendString(nil, a), true
	case hookline.ValidatePhone:
		return phone(a)
	case hookline.ValidateDate:
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, a); err == nil {
				return appendString(nil, t.Format("2006-01-02")), true
			}
		}
		return nil, false
	case hookline.ValidateRegex:
		if c.re.MatchString(a) {
			return appendString(nil, a), true
		}
		return nil, false
	case hookline.ValidateOptions:
		for _, o := range c.options {
			if strings.EqualFold(strings.TrimSpace(o), a) {
				return appendString(nil, o), true
			}
		}
		return nil, false
	}
	return nil, false
}

// number accepts a decimal number, with a point or a single comma as the
// decimal separator; it is stored as a JSON number (an integer stays one).
func number(a string) (json.RawMessage, bool) {
	if strings.Count(a, ",") == 1 && !strings.Contains(a, ".") {
		a = strings.Replace(a, ",", ".", 1)
	}
	if strings.ContainsAny(a, "xXpP_") || strings.EqualFold(strings.TrimLeft(a, "+-"), "inf") ||
		strings.EqualFold(strings.TrimLeft(a, "+-"), "infinity") || strings.EqualFold(strings.TrimLeft(a, "+-"), "nan") {
		return nil, false
	}
	if i, err := strconv.ParseInt(a, 10, 64); err == nil {
		return strconv.AppendInt(nil, i, 10), true
	}
	f, err := strconv.ParseFloat(a, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), true
}

// phone accepts 7 to 15 digits (E.164's most) with an optional leading +
// and the separators people type: spaces, dashes, dots and parentheses.
// It is stored as the + (if given) and the digits.
func phone(a string) (json.RawMessage, bool) {
	var b strings.Builder
	for i, r := range a {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return nil, false
		}
	}
	digits := len(strings.TrimPrefix(b.String(), "+"))
	if digits < 7 || digits > 15 {
		return nil, false
	}
	return appendString(nil, b.String()), true
}
