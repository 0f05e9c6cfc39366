//go:build !unix

package jinja_test

import "time"

// processCPU is not measured on systems without getrusage: the benchmarks report
// zero CPU time there.
func processCPU() time.Duration { return 0 }
