package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestBucketsAreContiguous checks that the buckets tile the values with no
// gap or overlap and that every value lands in the bucket whose bounds
// hold it, around each power of two where the layout changes.
func TestBucketsAreContiguous(t *testing.T) {
	for i := 1; i < bucketCount; i++ {
		prevLower, prevWidth := bucketBounds(i - 1)
		lower, _ := bucketBounds(i)
		if prevLower+prevWidth != lower {
			t.Fatalf("bucket %d starts at %d, bucket %d ends at %d", i, lower, i-1, prevLower+prevWidth)
		}
	}
	var values []uint64
	for shift := 0; shift < 64; shift++ {
		p := uint64(1) << shift
		values = append(values, p-1, p, p+1)
	}
	values = append(values, math.MaxUint64)
	for _, v := range values {
		i := bucketIndex(v)
		if i < 0 || i >= bucketCount {
			t.Fatalf("value %d: bucket %d out of range", v, i)
		}
		lower, width := bucketBounds(i)
		if v < lower || v-lower >= width {
			t.Fatalf("value %d in bucket %d = [%d, %d+%d)", v, i, lower, lower, width)
		}
		if lower >= 1<<(subBucketBits+1) && float64(width)/float64(lower) > 1.0/(1<<subBucketBits) {
			t.Fatalf("bucket %d: width %d over lower bound %d exceeds the precision", i, width, lower)
		}
	}
}

// TestQuantiles compares the histogram's percentiles with the exact ones of
// a sorted sample.
func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		values func() []time.Duration
	}{
		{"uniform 1µs..10ms", func() []time.Duration {
			v := make([]time.Duration, 100000)
			for i := range v {
				v[i] = time.Microsecond + time.Duration(rng.Int64N(int64(10*time.Millisecond)))
			}
			return v
		}},
		{"long tail", func() []time.Duration {
			v := make([]time.Duration, 50000)
			for i := range v {
				v[i] = time.Duration(200e3 * math.Exp(rng.NormFloat64()))
			}
			return v
		}},
		{"small exact values", func() []time.Duration {
			v := make([]time.Duration, 1000)
			for i := range v {
				v[i] = time.Duration(i % 200)
			}
			return v
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			values := tc.values()
			var h Histogram
			for _, v := range values {
				h.Record(v)
			}
			slices.Sort(values)
			for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
				rank := max(int(math.Ceil(q*float64(len(values)))), 1)
				want := values[rank-1]
				got := h.Quantile(q)
				if diff := math.Abs(float64(got - want)); diff > float64(want)/100+1 {
					t.Errorf("q %v: got %v, want %v within 1%%", q, got, want)
				}
			}
			if h.Count() != uint64(len(values)) || h.Min() != values[0] || h.Max() != values[len(values)-1] {
				t.Errorf("count %d min %v max %v, want %d %v %v", h.Count(), h.Min(), h.Max(), len(values), values[0], values[len(values)-1])
			}
		})
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 || empty.Count() != 0 {
		t.Fatal("an empty histogram reports values")
	}
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	a.Merge(&empty)
	if a != all {
		t.Fatalf("merged: count %d min %v max %v p50 %v; want count %d min %v max %v p50 %v",
			a.Count(), a.Min(), a.Max(), a.Quantile(0.5), all.Count(), all.Min(), all.Max(), all.Quantile(0.5))
	}
	if got, want := all.Mean(), 500500*time.Nanosecond; got != want {
		t.Fatalf("mean %v, want %v", got, want)
	}
	var negative Histogram
	negative.Record(-time.Second)
	if negative.Max() != 0 || negative.Count() != 1 {
		t.Fatalf("a negative duration: max %v count %d", negative.Max(), negative.Count())
	}
}
