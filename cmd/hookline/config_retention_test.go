package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestConfigRetentionAndMetricsToken(t *testing.T) {
	cfg, _, err := loadConfig("serve", nil, envOf("HOOKLINE_DELIVERY_RETENTION", "48h",
		"HOOKLINE_DELIVERY_FAILED_RETENTION", "2160h", "HOOKLINE_METRICS_TOKEN", "metrics-token-0123456789"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DeliveryRetention != 48*time.Hour || cfg.DeliveryFailedRetention != 90*24*time.Hour || cfg.MetricsToken != "metrics-token-0123456789" {
		t.Fatalf("settings %s %s %q", cfg.DeliveryRetention, cfg.DeliveryFailedRetention, cfg.MetricsToken)
	}
	for env, value := range map[string]string{
		"HOOKLINE_DELIVERY_RETENTION":        "1h",
		"HOOKLINE_DELIVERY_FAILED_RETENTION": "a month",
	} {
		_, _, err := loadConfig("serve", nil, envOf(env, value), io.Discard)
		if err == nil || !strings.Contains(err.Error(), env) || !strings.Contains(err.Error(), value) {
			t.Fatalf("%s=%s: %v", env, value, err)
		}
	}
	// A short token is refused without being echoed.
	_, _, err = loadConfig("serve", nil, envOf("HOOKLINE_METRICS_TOKEN", "short-secret"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HOOKLINE_METRICS_TOKEN") || strings.Contains(err.Error(), "short-secret") {
		t.Fatalf("short metrics token: %v", err)
	}
}
