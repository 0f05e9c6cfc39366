package jinja

import (
	"math"
	"math/big"
)

// Python integers are unbounded. Values that fit int64 stay in Value.n; larger ones are
// kBig values holding an immutable *big.Int, bounded so that arithmetic stays cheap.

// maxBigBits bounds big integer results (a budget "value" error beyond).
const maxBigBits = 1 << 16

// maxIntDigits is Python's default limit for converting an int to decimal text.
const maxIntDigits = 4300

func (r *renderer) mkBig(b *big.Int) Value {
	if b.IsInt64() {
		return intVal(b.Int64())
	}
	if b.BitLen() > maxBigBits {
		r.failBudget("value", "integer result too large")
	}
	return Value{k: kBig, p: b}
}

// bigOf returns an integer value (int, bool or big) as a new *big.Int.
func bigOf(v Value) *big.Int {
	if v.k == kBig {
		return new(big.Int).Set(v.p.(*big.Int))
	}
	return big.NewInt(v.n)
}

func isIntegral(v Value) bool { return v.k == kInt || v.k == kBool || v.k == kBig }

// floatOfBig converts like Python's float(int): correctly rounded, OverflowError beyond.
func (r *renderer) floatOfBig(b *big.Int) float64 {
	f, _ := new(big.Float).SetInt(b).Float64()
	if math.IsInf(f, 0) {
		r.fail(kindRender, "int too large to convert to float")
	}
	return f
}

// toFloat converts a number for float arithmetic.
func (r *renderer) toFloat(v Value) float64 {
	if v.k == kBig {
		return r.floatOfBig(v.p.(*big.Int))
	}
	return num(v)
}

// bigOp is integer arithmetic in unbounded precision.
func (r *renderer) bigOp(op string, av, bv Value) Value {
	a, b := bigOf(av), bigOf(bv)
	switch op {
	case "+":
		return r.mkBig(a.Add(a, b))
	case "-":
		return r.mkBig(a.Sub(a, b))
	case "*":
		if a.BitLen()+b.BitLen() > maxBigBits+1 {
			r.failBudget("value", "integer result too large")
		}
		return r.mkBig(a.Mul(a, b))
	case "/":
		if b.Sign() == 0 {
			r.fail(kindRender, "division by zero")
		}
		f, _ := new(big.Rat).SetFrac(a, b).Float64()
		if math.IsInf(f, 0) {
			r.fail(kindRender, "integer division result too large for a float")
		}
		return floatVal(f)
	case "//", "%":
		if b.Sign() == 0 {
			if op == "//" {
				r.fail(kindRender, "integer division or modulo by zero")
			}
			r.fail(kindRender, "integer modulo by zero")
		}
		q, m := new(big.Int).QuoRem(a, b, new(big.Int))
		if m.Sign() != 0 && (m.Sign() < 0) != (b.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
			m.Add(m, b)
		}
		if op == "//" {
			return r.mkBig(q)
		}
		return r.mkBig(m)
	case "**":
		if b.Sign() < 0 {
			if a.Sign() == 0 {
				r.fail(kindRender, "0.0 cannot be raised to a negative power")
			}
			return floatVal(pyPow(r.floatOfBig(a), r.floatOfBig(b)))
		}
		if a.CmpAbs(big.NewInt(1)) <= 0 {
			// 0, 1 and -1 stay small whatever the exponent.
			if a.Sign() < 0 && b.Bit(0) == 0 {
				return intVal(1)
			}
			return r.mkBig(a)
		}
		if !b.IsInt64() || int64(a.BitLen()-1)*b.Int64() > maxBigBits {
			r.failBudget("value", "integer result too large")
		}
		return r.mkBig(a.Exp(a, b, nil))
	}
	return Value{}
}

// cmpNum compares two numbers exactly, big integers included (2 when unordered: NaN).
func cmpNum(a, b Value) int {
	if a.k == kBig || b.k == kBig {
		if a.k == kFloat || b.k == kFloat {
			fa, fb := a, b
			if math.IsNaN(num(fa)) && fa.k == kFloat || math.IsNaN(num(fb)) && fb.k == kFloat {
				return 2
			}
			x, y := bigFloatOf(a), bigFloatOf(b)
			return x.Cmp(y)
		}
		return bigOf(a).Cmp(bigOf(b))
	}
	return 3 // not big: the caller compares natively
}

func bigFloatOf(v Value) *big.Float {
	switch v.k {
	case kBig:
		return new(big.Float).SetInt(v.p.(*big.Int))
	case kFloat:
		f := v.f()
		if math.IsInf(f, 0) {
			return new(big.Float).SetInf(f < 0)
		}
		return new(big.Float).SetFloat64(f)
	}
	return new(big.Float).SetInt64(v.n)
}

// appendBig appends the decimal text of b, failing beyond Python's digit limit.
func (r *renderer) appendBig(buf []byte, b *big.Int) []byte {
	if b.BitLen() > maxIntDigits*3322/1000+8 {
		s := b.String()
		n := len(s)
		if s[0] == '-' {
			n--
		}
		if n > maxIntDigits {
			r.fail(kindRender, "Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit")
		}
		return append(buf, s...)
	}
	return b.Append(buf, 10)
}
