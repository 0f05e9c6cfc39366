package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// TestBotCommands runs bot import and bot export in process on a data
// directory: the document's company_id or --company, flags after the
// file, JSON and YAML, and the exit status of each kind of failure.
func TestBotCommands(t *testing.T) {
	data := t.TempDir()
	db, err := sqlstore.OpenSQLite(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	company := &hookline.Tenant{Name: "Desk", Kind: hookline.KindCompany}
	agency := &hookline.Tenant{Name: "Agency", Kind: hookline.KindAgency}
	if err := db.CreateTenant(context.Background(), company); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTenant(context.Background(), agency); err != nil {
		t.Fatal(err)
	}
	db.Close()

	run := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(args, "--data", data), envOf(), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	write := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc := `{"name": "Hello", "start": 1, "modules": [{"id": 1, "type": "end", "text": "Hello {{certainly.from}}"}]}`

	// Without --company, the document must name its company.
	code, _, errOut := run("bot", "import", write("hello.json", doc))
	if code != 1 || !strings.Contains(errOut, "company_id") {
		t.Fatalf("no company: exit %d, %q", code, errOut)
	}
	withID := strings.Replace(doc, `{"name"`, `{"company_id": `+itoa(company.ID)+`, "name"`, 1)
	code, out, errOut := run("bot", "import", write("hello.json", withID))
	var b hookline.Bot
	if code != 0 || json.Unmarshal([]byte(out), &b) != nil || b.CompanyID != company.ID {
		t.Fatalf("import with company_id: exit %d, %q, %q", code, out, errOut)
	}
	// --company, flags after the file, YAML by extension.
	yaml := "name: Hello again\nstart: 1\nmodules:\n  - {id: 1, type: end, text: Hi}\n"
	code, out, errOut = run("bot", "import", write("hello.yml", yaml), "--company", itoa(company.ID))
	if code != 0 || !strings.Contains(out, `"Hello again"`) {
		t.Fatalf("import --company: exit %d, %q, %q", code, out, errOut)
	}
	code, _, errOut = run("bot", "import", write("hello.yml", yaml), "--company", itoa(agency.ID))
	if code != 1 || !strings.Contains(errOut, "--company") {
		t.Fatalf("an agency as --company: exit %d, %q", code, errOut)
	}
	code, _, errOut = run("bot", "import", write("bad.yaml", yaml+"  - {id: 1, type: end, text: Twice}\n"), "--company", itoa(company.ID))
	if code != 1 || !strings.Contains(errOut, "modules[1].id: 1 is already the id of modules[0]") {
		t.Fatalf("bad document: exit %d, %q", code, errOut)
	}

	code, out, _ = run("bot", "export", itoa(b.ID))
	if code != 0 || !strings.Contains(out, `"text": "Hello {{certainly.from}}"`) || strings.Contains(out, "company_id") {
		t.Fatalf("export: exit %d, %q", code, out)
	}
	code, out, _ = run("bot", "export", itoa(b.ID), "--format", "yaml")
	if code != 0 || !strings.Contains(out, "text: Hello {{certainly.from}}") {
		t.Fatalf("export yaml: exit %d, %q", code, out)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bot", "export", "999"}, 1, "bot 999 not found"},
		{[]string{"bot", "export", "x"}, 2, "is not a bot id"},
		{[]string{"bot", "export", itoa(b.ID), "--format", "xml"}, 2, "want json or yaml"},
		{[]string{"bot", "import"}, 2, "want exactly one argument"},
		{[]string{"bot", "import", filepath.Join(data, "missing.json")}, 1, "no such file"},
		{[]string{"bot", "frobnicate"}, 2, "usage: hookline bot"},
		{[]string{"bot", "import", "x.json", "--nope"}, 2, "flag provided but not defined"},
	} {
		if code, _, errOut := run(c.args...); code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
