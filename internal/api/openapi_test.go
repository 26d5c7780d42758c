package api

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/alerts"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// openAPIDocument is the part of an OpenAPI 3.1 document the tests read.
type openAPIDocument struct {
	OpenAPI    string                                 `json:"openapi"`
	Security   []map[string][]string                  `json:"security"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
		Schemas map[string]openAPISchema `json:"schemas"`
	} `json:"components"`
}

type openAPIOperation struct {
	Security   *[]map[string][]string `json:"security"`
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses map[string]json.RawMessage `json:"responses"`
}

type openAPISchema struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
}

func loadOpenAPI(t *testing.T) openAPIDocument {
	t.Helper()
	var doc openAPIDocument
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPICoversRoutes checks the document and the mux list the same
// routes, with the same authentication and path parameters.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	served := map[string]route{}
	for _, rt := range (&Server{}).routes() {
		served[strings.ToLower(rt.method)+" "+rt.path] = rt
	}
	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[method+" "+path] = op
		}
	}
	for key := range served {
		if _, ok := documented[key]; !ok {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	for key, op := range documented {
		rt, ok := served[key]
		if !ok {
			t.Errorf("openapi.json documents %s, which the server does not serve", key)
			continue
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.action == "") {
			t.Errorf("%s: documented public=%v, served public=%v", key, public, rt.action == "")
		}
		checkPathParams(t, key, rt.path, op)
		if !public {
			for _, st := range []string{"401", "403"} {
				if _, ok := op.Responses[st]; !ok {
					t.Errorf("%s: no %s response documented", key, st)
				}
			}
		}
	}
	if s := doc.Components.SecuritySchemes["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearer security scheme = %+v", s)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearer"] == nil {
		t.Errorf("global security = %v, want bearer", doc.Security)
	}
}

func checkPathParams(t *testing.T, key, path string, op openAPIOperation) {
	t.Helper()
	for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
		found := slices.ContainsFunc(op.Parameters, func(p struct {
			Name string `json:"name"`
			In   string `json:"in"`
		}) bool {
			return p.Name == m[1] && p.In == "path"
		})
		if !found {
			t.Errorf("%s: path parameter %s not documented", key, m[1])
		}
	}
}

// TestOpenAPIRefsResolve checks every $ref points at a component.
func TestOpenAPIRefsResolve(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(openAPIDoc, &raw); err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"\$ref":\s*"#/([^"]+)"`).FindAllStringSubmatch(string(openAPIDoc), -1) {
		var node any = raw
		for _, part := range strings.Split(m[1], "/") {
			obj, ok := node.(map[string]any)
			if !ok || obj[part] == nil {
				t.Errorf("$ref #/%s does not resolve", m[1])
				break
			}
			node = obj[part]
		}
	}
}

// TestOpenAPISchemasMatchTypes checks each schema's properties are the JSON
// fields of the Go type it describes, so the document cannot drift.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	types := map[string]any{
		"Error":              ErrorBody{},
		"ErrorDetail":        ErrorDetail{},
		"Transaction":        Transaction{},
		"PublishResult":      PublishResult{},
		"RecordOutcome":      intake.RecordOutcome{},
		"Outcome":            intake.Outcome{},
		"Version":            projection.Version{},
		"Versions":           VersionsResponse{},
		"Page":               projection.Page{},
		"Status":             Status{},
		"Member":             Member{},
		"Members":            MembersResponse{},
		"Token":              auth.Token{},
		"Tokens":             TokensResponse{},
		"CreateTokenRequest": CreateTokenRequest{},
		"CreatedToken":       CreatedToken{},
		"Propose":            ledger.Propose{},
		"ProposedMember":     ledger.Member{},
		"Rotation":           ledger.Rotation{},
		"Params":             ledger.Params{},
		"ProposalView":       ProposalView{},
		"Proposals":          ProposalsResponse{},
		"VoteRequest":        VoteRequest{},
		"GovResult":          GovResult{},
		"SignedCheckpoint":   proof.SignedCheckpoint{},
		"ProofBundle":        proof.Bundle{},
		"ProofRecord":        proof.Record{},
		"ConsistencyProof":   proof.ConsistencyProof{},
		"Checkpoints":        CheckpointsResponse{},
		"GroupOp":            ledger.GroupOp{},
		"Group":              ledger.Group{},
		"WithdrawRequest":    WithdrawRequest{},
		"User":               auth.User{},
		"AddUserRequest":     AddUserRequest{},
		"AddedUser":          AddedUser{},
		"GrantRequest":       GrantRequest{},
		"Granted":            Granted{},
		"Hit":                detect.Hit{},
		"MatchStats":         detect.Stats{},
		"Alert":              alerts.Alert{},
		"Alerts":             AlertsResponse{},
	}
	checkSchemas(t, doc, types)
}

// checkSchemas checks that each named schema exists, that its properties
// are the JSON fields of the Go type, and that it requires only its own
// properties.
func checkSchemas(t *testing.T, doc openAPIDocument, types map[string]any) {
	t.Helper()
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		if fields := jsonFields(reflect.TypeOf(v)); !slices.Equal(props, fields) {
			t.Errorf("schema %s properties %v, Go type %T fields %v", name, props, v, fields)
		}
		for _, r := range s.Required {
			if _, ok := s.Properties[r]; !ok {
				t.Errorf("schema %s requires unknown property %s", name, r)
			}
		}
	}
}

// jsonFields returns the JSON field names of struct type t, with the fields
// of untagged embedded structs flattened in as encoding/json does.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct:
			out = append(out, jsonFields(f.Type)...)
		case name != "" && name != "-":
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIErrorCodes checks the documented error codes are the table's.
func TestOpenAPIErrorCodes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				ErrorDetail struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"ErrorDetail"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas.ErrorDetail.Properties.Code.Enum
	sort.Strings(documented)
	var codes []string
	for c := range statusOfCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	if !slices.Equal(documented, codes) {
		t.Errorf("documented codes %v, table %v", documented, codes)
	}
}
