package jinja

import (
	"math"
	"math/big"
)

// Go's math.Pow is off by an ulp or more where C's pow (which Python calls) is correctly
// rounded, so float powers are computed as exp(y·log x) in 160-bit arithmetic and
// rounded once.

const powPrec = 160

var ln2Big, _ = new(big.Float).SetPrec(powPrec).SetString("0.6931471805599453094172321214581765680755001343602552541206800094933936219696947156058633269964186875420014810205706857336855202357581305570326707516350759619307275708283714351903070386238916734711233501153644979552391204751726815749320651555247341395258829504530070953263666426541042391578149520437404303855008019441706416715186447128399681717845469570262716310645461502572074024816377733896385506952606683411372738737229289564935470257626520988596932019650585547647033067936544325476327449512504060694381471046899465062201677204245245296126879465461931651746813926725041038025462596568691441928716082938031727143677826548775664850856740776484514644399404614226031930967354025744460703080960850474866385231381816767514386674766478908814371419854942315199735488037516586127535291661000710535582498794147295092931138971559982056543928717000721808576102523688921324497138932037843935308877482597017155910708823683627589842589185353024363421436706118923678919237231467232172053401649256872747782344535348")

// pyPow is C's pow for the cases Python reaches it with finite, nonzero operands.
func pyPow(x, y float64) float64 {
	switch {
	case y == 0 || x == 1:
		return 1
	case math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || x == 0:
		return math.Pow(x, y)
	case y == 1:
		return x
	case y == 2:
		return x * x
	case y == -1:
		return 1 / x
	case y == 0.5 && x > 0:
		return math.Sqrt(x)
	}
	neg := false
	ax := x
	if x < 0 {
		if y != math.Trunc(y) {
			return math.NaN()
		}
		ax = -x
		neg = math.Mod(y, 2) != 0
	}
	approx := math.Pow(ax, y)
	if approx == 0 || math.IsInf(approx, 0) {
		if neg {
			return -approx
		}
		return approx
	}
	t := bigLog(ax)
	t.Mul(t, new(big.Float).SetPrec(powPrec).SetFloat64(y))
	res, _ := bigExp(t).Float64()
	if neg {
		return -res
	}
	return res
}

// bigLog is log(x) for finite x > 0.
func bigLog(x float64) *big.Float {
	m, e := math.Frexp(x)
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	one := new(big.Float).SetPrec(powPrec).SetInt64(1)
	mb := new(big.Float).SetPrec(powPrec).SetFloat64(m)
	num := new(big.Float).SetPrec(powPrec).Sub(mb, one)
	den := new(big.Float).SetPrec(powPrec).Add(mb, one)
	z := new(big.Float).SetPrec(powPrec).Quo(num, den)
	z2 := new(big.Float).SetPrec(powPrec).Mul(z, z)
	sum := new(big.Float).SetPrec(powPrec).Set(z)
	term := new(big.Float).SetPrec(powPrec).Set(z)
	t := new(big.Float).SetPrec(powPrec)
	for k := int64(3); k < 400 && z.Sign() != 0; k += 2 {
		term.Mul(term, z2)
		t.Quo(term, new(big.Float).SetPrec(powPrec).SetInt64(k))
		if t.Sign() == 0 || t.MantExp(nil) < sum.MantExp(nil)-powPrec-4 {
			break
		}
		sum.Add(sum, t)
	}
	sum.Mul(sum, new(big.Float).SetPrec(powPrec).SetInt64(2))
	el := new(big.Float).SetPrec(powPrec).SetInt64(int64(e))
	el.Mul(el, ln2Big)
	return sum.Add(sum, el)
}

// bigExp is exp(t) for |t| below about 710.
func bigExp(t *big.Float) *big.Float {
	q := new(big.Float).SetPrec(powPrec).Quo(t, ln2Big)
	kf, _ := q.Float64()
	k := math.Round(kf)
	r := new(big.Float).SetPrec(powPrec).SetFloat64(k)
	r.Mul(r, ln2Big)
	r.Sub(t, r)
	const halvings = 10
	r.SetMantExp(r, -halvings)
	sum := new(big.Float).SetPrec(powPrec).SetInt64(1)
	term := new(big.Float).SetPrec(powPrec).SetInt64(1)
	for n := int64(1); n < 60; n++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(powPrec).SetInt64(n))
		if term.Sign() == 0 || term.MantExp(nil) < -powPrec-4 {
			break
		}
		sum.Add(sum, term)
	}
	for i := 0; i < halvings; i++ {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(k))
}
