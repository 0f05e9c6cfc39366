//go:build !race

package jinja_test

// raceEnabled lets timing assertions allow for the race detector's slowdown.
const raceEnabled = false
