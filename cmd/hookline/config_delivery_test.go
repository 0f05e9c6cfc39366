package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
)

// withDeliveryDefaults sets the delivery queue's default settings in c.
func withDeliveryDefaults(c *Config) {
	c.DeliverySchedule = slices.Clone(delivery.DefaultSchedule)
	c.DeliveryWorkers = delivery.DefaultWorkers
	c.DeliveryPerTarget = delivery.DefaultPerTarget
	c.DeliveryRetention = hookline.DefaultDeliveryRetention
	c.DeliveryFailedRetention = hookline.DefaultDeliveryFailedRetention
	c.DeliveryLease = delivery.DefaultLeaseDuration
	c.SQLiteSync = "normal"
	c.ChatIdleTimeout = 24 * time.Hour
}

func TestConfigDelivery(t *testing.T) {
	cfg, _, err := loadConfig("serve", nil, envOf("HOOKLINE_DELIVERY_SCHEDULE", "200ms, 400ms,800ms",
		"HOOKLINE_DELIVERY_WORKERS", "16", "HOOKLINE_DELIVERY_PER_TARGET", "2",
		"HOOKLINE_DELIVERY_LEASE", "3s", "HOOKLINE_SQLITE_SYNC", "FULL"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.DeliverySchedule, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}) ||
		cfg.DeliveryWorkers != 16 || cfg.DeliveryPerTarget != 2 || cfg.DeliveryLease != 3*time.Second || cfg.SQLiteSync != "full" {
		t.Fatalf("delivery settings %v %d %d", cfg.DeliverySchedule, cfg.DeliveryWorkers, cfg.DeliveryPerTarget)
	}
	for env, value := range map[string]string{
		"HOOKLINE_DELIVERY_SCHEDULE":   "5s,soon",
		"HOOKLINE_DELIVERY_WORKERS":    "0",
		"HOOKLINE_DELIVERY_PER_TARGET": "many",
		"HOOKLINE_DELIVERY_LEASE":      "500ms",
		"HOOKLINE_SQLITE_SYNC":         "off",
	} {
		_, _, err := loadConfig("serve", nil, envOf(env, value), io.Discard)
		if err == nil || !strings.Contains(err.Error(), env) || !strings.Contains(err.Error(), value) {
			t.Fatalf("%s=%s: %v", env, value, err)
		}
	}
}
