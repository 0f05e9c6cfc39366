package webhook

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// TestMapperVariablesDocumented: every name a mapper's context defines
// besides the body's own keys is explained where users read about
// mappers, the description of custom_variables[].mapper in the OpenAPI
// document (and, from there, the README).
func TestMapperVariablesDocumented(t *testing.T) {
	field, _ := reflect.TypeFor[hookline.CustomVariable]().FieldByName("Mapper")
	doc := field.Tag.Get("doc")
	for name := range mapperData(200, map[string]string{"content-type": "application/json"}, nil) {
		if !strings.Contains(doc, name+",") && !strings.Contains(doc, name+" ") {
			t.Errorf("the mapper's doc tag does not explain %q: %s", name, doc)
		}
	}
}
