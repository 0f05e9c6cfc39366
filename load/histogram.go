package load

import (
	"math"
	"math/bits"
	"time"
)

// subBucketBits sets the histogram's precision: each power of two is cut
// into 2^subBucketBits buckets, so a recorded value is known within
// 1/128 (0.8%) of itself, which is well below the noise of a shared
// machine.
const subBucketBits = 7

// bucketCount covers every uint64: values below 2^(subBucketBits+1) get a
// bucket each, and each later power of two adds 2^subBucketBits buckets.
const bucketCount = (64 - subBucketBits + 1) << subBucketBits

// Histogram records durations in log-linear buckets, as HDR histograms
// do: constant memory and constant time per value, with a bounded
// relative error, which a sorted sample of millions of requests would not
// give. The zero value is empty and ready to use; it is not safe for
// concurrent use, so each connection keeps its own and they are merged.
type Histogram struct {
	counts [bucketCount]uint64
	total  uint64
	sum    float64 // nanoseconds; a float so that no realistic run overflows
	min    uint64
	max    uint64
}

// bucketIndex maps a value to its bucket.
func bucketIndex(v uint64) int {
	if v < 1<<(subBucketBits+1) {
		return int(v)
	}
	shift := bits.Len64(v) - (subBucketBits + 1)
	return (shift+1)<<subBucketBits + int(v>>shift) - 1<<subBucketBits
}

// bucketBounds returns the smallest value of bucket i and the bucket's
// width.
func bucketBounds(i int) (lower, width uint64) {
	if i < 1<<(subBucketBits+1) {
		return uint64(i), 1
	}
	shift := i>>subBucketBits - 1
	mantissa := uint64(i&(1<<subBucketBits-1)) + 1<<subBucketBits
	return mantissa << shift, 1 << shift
}

// Record adds one duration; negative ones count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketIndex(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += float64(v)
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Min and Max are the exact extremes (zero when empty).
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max is the largest recorded value.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the exact mean (zero when empty).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Quantile returns the value at quantile q (0.5 for the median, 0.99 for
// the 99th percentile): the middle of the bucket holding the value of rank
// ceil(q·count), kept within the exact minimum and maximum. It is zero
// when the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lower, width := bucketBounds(i)
			mid := lower + (width-1)/2
			return time.Duration(min(max(mid, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
