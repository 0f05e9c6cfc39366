package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium, headless, through the
// DevTools protocol (chromedp). They are skipped under -short, with the
// race run; the plain run includes them. .ci/run installs Chromium when it
// is missing; elsewhere a machine without it skips them, except in CI
// (CI set), where a missing browser fails.

// chromium finds the browser binary.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: .ci/run installs it with apt-get install chromium")
	}
	t.Skip("no chromium on PATH; install it (apt-get install chromium) to run the browser tests")
	return ""
}

// browser starts a fresh headless Chromium (its own user data directory,
// so no state carries over) and returns a tab's context, cancelled when
// the test ends, and the deadline of the whole test.
func browser(t *testing.T, budget time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(tcancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tab
}

// do runs browser steps, failing the test with what it was doing.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs a browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshotDir is where screenshots go: HOOKLINE_SCREENSHOT_DIR, or the
// package's git-ignored testdata/screenshots. They outlive the test, to be
// looked at.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HOOKLINE_SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The widths every page is shot at: a laptop and a phone.
var screenWidths = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"1280", 1280, 900, false},
	{"390", 390, 844, true},
}

// screenshots saves the current page, whole, at each width as
// NAME-WIDTH.png, and leaves the tab at the first width.
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := screenshotDir(t)
	for _, w := range screenWidths {
		var opts []chromedp.EmulateViewportOption
		if w.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		// The layout settles at the new width before the shot.
		do(t, ctx, "resize to "+w.name, chromedp.EmulateViewport(w.width, w.height, opts...), chromedp.Sleep(150*time.Millisecond))
		png := get(t, ctx, "screenshot "+name+" at "+w.name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+"-"+w.name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx, "back to the first width", chromedp.EmulateViewport(screenWidths[0].width, screenWidths[0].height))
}

// textOf returns the text of the first element sel matches.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(get(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}
