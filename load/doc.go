// Package load drives a running hookline with HTTP load over loopback and
// compares it with bare Go servers doing the least work of the same kind.
//
// A run starts (or targets) hookline, a baseline server (a hello server
// for reads, a forwarder for webhook runs) and, when the scenario needs
// one, a receiver for outbound calls, each in its own process. It then
// measures the scenario and its baseline in alternating rounds, so that
// the noise of a shared machine falls on both alike, and reports
// throughput, latency percentiles, server CPU per request and the ratio of
// the two, with medians across rounds.
//
// The delivery scenarios (RunDeliveries) measure the delivery queue
// instead: a backlog queued through the API and sent by one or more
// hookline processes to a receiver that checks order per key (the sink),
// against a bare net/http client process posting the same bodies.
//
// Scenarios are named and kept in a Registry; Scenarios lists the built-in
// ones. Every request the package sends goes to 127.0.0.0/8 only.
package load
