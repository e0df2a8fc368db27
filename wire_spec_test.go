package accesstokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// Conformance with Atlassian's OpenAPI specification of Bitbucket Data
// Center 9.4 (https://dac-static.atlassian.com/server/bitbucket/9.4.swagger.v3.json;
// its facts were read off a copy published on GitHub, in erdemhalil/atlassian-client,
// specs/bitbucket/openapi.json, "version": "9.4"). The tables below hold, for
// each operation the SDK calls, what the specification says: method, path,
// query parameters, request body schema, and the status codes and schemas of
// its answers. TestTrafficConformsToTheSpecification records every request
// the SDK sends to the fake and every answer the fake gives, and checks them
// against the tables.
//
// The specification is wrong about some things real servers do; those are
// set aside (specKnownErrors), each for a reason:
//   - createdDate is declared a date-time string; servers send epoch ms.
//   - RestErrorMessage.context and a user's emailAddress are declared
//     non-nullable; servers send null (8.x) for both.
//   - updateAccessToken declares no 404; servers answer 404 for an unknown token.
//   - GET /api/latest/users is declared to answer one user, without start and
//     limit; servers page it like every list.
//   - /access-tokens/latest/admin (the expiry policy, documented for 8.3) is
//     absent from the 9.2 and 9.4 specifications.
// RestAccessToken also lacks expiryDate, lastAuthenticated, permissions and
// user, which servers send; the specification allows properties it does not
// declare, so they are not checked against it.

// specSchema is one schema of the specification, as much of it as the checks use.
type specSchema struct {
	name     string // the schema's name in the specification, for objects
	typ      string // object, array, string, integer, number, boolean
	enum     []string
	props    map[string]specSchema
	required []string
	items    *specSchema
	unique   bool // uniqueItems
}

func specString() specSchema             { return specSchema{typ: "string"} }
func specInteger() specSchema            { return specSchema{typ: "integer"} }
func specNumber() specSchema             { return specSchema{typ: "number"} }
func specBoolean() specSchema            { return specSchema{typ: "boolean"} }
func specEnum(v ...string) specSchema    { return specSchema{typ: "string", enum: v} }
func specArray(of specSchema) specSchema { return specSchema{typ: "array", items: &of} }
func specObject(name string, props map[string]specSchema) specSchema {
	return specSchema{name: name, typ: "object", props: props}
}

var (
	specAccessToken = specObject("RestAccessToken", map[string]specSchema{
		"createdDate": {typ: "string"}, "id": specString(), "name": specString(),
	})
	specRawAccessToken = specObject("RestRawAccessToken", map[string]specSchema{
		"createdDate": {typ: "string"}, "id": specString(), "name": specString(), "token": specString(),
	})
	specAccessTokenRequest = specObject("RestAccessTokenRequest", map[string]specSchema{
		"expiryDays": specInteger(), "name": specString(),
		"permissions": {typ: "array", items: &specSchema{typ: "string"}, unique: true},
	})
	specErrors = specObject("RestErrors", map[string]specSchema{
		"errors": specArray(specObject("RestErrorMessage", map[string]specSchema{
			"context": specString(), "exceptionName": specString(), "message": specString(),
		})),
	})
	specProjectProps = map[string]specSchema{
		"avatar": specString(), "avatarUrl": specString(), "description": specString(), "id": specInteger(),
		"key": specString(), "links": {typ: "object"}, "name": specString(), "public": specBoolean(),
		"scope": specString(), "type": specEnum("NORMAL", "PERSONAL"),
	}
	specProject    = specObject("RestProject", specProjectProps)
	specRepository = specObject("RestRepository", map[string]specSchema{
		"archived": specBoolean(), "defaultBranch": specString(), "description": specString(), "forkable": specBoolean(),
		"hierarchyId": specString(), "id": specInteger(), "links": {typ: "object"}, "name": specString(),
		"origin": {typ: "object"}, "partition": specInteger(),
		"project": {name: "RestRepository.project", typ: "object", props: specProjectProps, required: []string{"key"}},
		"public":  specBoolean(), "relatedLinks": {typ: "object"}, "scmId": specString(), "scope": specString(),
		"slug": specString(), "state": specEnum("AVAILABLE", "INITIALISATION_FAILED", "INITIALISING", "OFFLINE"),
		"statusMessage": specString(),
	})
	specUserProps = map[string]specSchema{
		"active": specBoolean(), "avatarUrl": specString(), "displayName": specString(), "emailAddress": specString(),
		"id": specInteger(), "links": {typ: "object"}, "name": specString(), "slug": specString(),
		"type": specEnum("NORMAL", "SERVICE"),
	}
	specApplicationUser = specObject("RestApplicationUser", specUserProps)
	specDetailedUser    = specObject("RestDetailedUser", func() map[string]specSchema {
		props := map[string]specSchema{"deletable": specBoolean(), "directoryName": specString(),
			"lastAuthenticationTimestamp": specNumber(), "mutableDetails": specBoolean(), "mutableGroups": specBoolean()}
		for k, v := range specUserProps {
			props[k] = v
		}
		return props
	}())
	specApplicationProperties = specObject("RestApplicationProperties", map[string]specSchema{
		"buildDate": specString(), "buildNumber": specString(), "displayName": specString(), "version": specString(),
	})
)

// specPage is the paged envelope the specification declares around values.
func specPage(values specSchema) specSchema {
	return specObject("page of "+values.name, map[string]specSchema{
		"isLastPage": specBoolean(), "limit": specNumber(), "nextPageStart": specInteger(),
		"size": specNumber(), "start": specInteger(), "values": specArray(values),
	})
}

// specOperation is one operation of the specification.
type specOperation struct {
	id      string            // operationId
	method  string            //
	path    string            // below {baseurl}/rest, with {placeholders}
	query   map[string]string // parameter name → "number" or "string"
	body    *specSchema       // request body; nil: none
	answers map[int]*specSchema
}

var specPaging = map[string]string{"start": "number", "limit": "number"}

// specOperations are the operations the SDK calls, as the 9.4 specification declares them.
var specOperations = func() []specOperation {
	var ops []specOperation
	errs := &specErrors
	for _, sc := range []struct{ suffix, id string }{
		{"/access-tokens/latest/users/{userSlug}", "_2"},
		{"/access-tokens/latest/projects/{projectKey}", ""},
		{"/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}", "_1"},
	} {
		page := specPage(specAccessToken)
		ops = append(ops,
			specOperation{"getAllAccessTokens" + sc.id, http.MethodGet, sc.suffix, specPaging, nil,
				map[int]*specSchema{200: &page, 401: errs, 404: errs}},
			specOperation{"createAccessToken" + sc.id, http.MethodPut, sc.suffix, nil, &specAccessTokenRequest,
				map[int]*specSchema{200: &specRawAccessToken, 400: errs, 401: errs, 404: errs}},
			specOperation{"getById" + sc.id, http.MethodGet, sc.suffix + "/{tokenId}", nil, nil,
				map[int]*specSchema{200: &specAccessToken, 401: errs, 404: errs}},
			specOperation{"updateAccessToken" + sc.id, http.MethodPost, sc.suffix + "/{tokenId}", nil, &specAccessTokenRequest,
				map[int]*specSchema{200: &specAccessToken, 400: errs, 401: errs}},
			specOperation{"deleteById" + sc.id, http.MethodDelete, sc.suffix + "/{tokenId}", nil, nil,
				map[int]*specSchema{204: nil, 401: errs, 404: errs}},
		)
	}
	projects, repos, admins := specPage(specProject), specPage(specRepository), specPage(specDetailedUser)
	return append(ops,
		specOperation{"getProjects", http.MethodGet, "/api/latest/projects",
			map[string]string{"name": "string", "permission": "string", "start": "number", "limit": "number"}, nil,
			map[int]*specSchema{200: &projects, 400: errs}},
		specOperation{"getRepositories_1", http.MethodGet, "/api/latest/repos",
			map[string]string{"archived": "string", "projectname": "string", "projectkey": "string", "visibility": "string",
				"name": "string", "permission": "string", "state": "string", "start": "number", "limit": "number"}, nil,
			map[int]*specSchema{200: &repos, 400: errs}},
		specOperation{"getUsers_1", http.MethodGet, "/api/latest/admin/users",
			map[string]string{"filter": "string", "start": "number", "limit": "number"}, nil,
			map[int]*specSchema{200: &admins, 401: errs}},
		specOperation{"getUsers_2", http.MethodGet, "/api/latest/users",
			map[string]string{"filter": "string", "permission.N": "string", "permission": "string", "group": "string"}, nil,
			map[int]*specSchema{200: &specApplicationUser, 400: errs, 401: errs}},
		specOperation{"getApplicationProperties", http.MethodGet, "/api/latest/application-properties", nil, nil,
			map[int]*specSchema{200: &specApplicationProperties}},
	)
}()

// specKnownError is a place where the specification is wrong about what
// servers do, set aside by the checks.
type specKnownError struct {
	operation string // operationId prefix; "" for every operation
	what      string // the violation, as specViolation.key gives it
	nulls     bool   // a null that 8.x servers send and 9.x servers leave out
	why       string
}

var specKnownErrors = []specKnownError{
	{"", "RestAccessToken.createdDate: integer, not string", false, "createdDate is epoch ms on every server"},
	{"", "RestRawAccessToken.createdDate: integer, not string", false, "createdDate is epoch ms on every server"},
	{"", "RestErrorMessage.context: null", true, "context is null unless a field is named"},
	{"", "RestApplicationUser.emailAddress: null", true, "a bot user's emailAddress is null"},
	{"", "RestDetailedUser.emailAddress: null", true, "a bot user's emailAddress is null"},
	{"updateAccessToken", "status 404", false, "update declares no 404; an unknown token is one"},
	{"getUsers_2", "query start", false, "the user list is paged"},
	{"getUsers_2", "query limit", false, "the user list is paged"},
	{"getUsers_2", "answer: the user list is paged", false, "the user list is a page of users"},
}

// specViolation is one way traffic departs from the specification.
type specViolation struct{ key, detail string }

// checkValue checks v, decoded with UseNumber, against s.
func (s specSchema) checkValue(at string, v any, out *[]specViolation) {
	where := s.name
	if where == "" {
		where = at
	}
	if v == nil {
		*out = append(*out, specViolation{where + ": null", at})
		return
	}
	got := jsonType(v)
	if got != s.typ && (s.typ != "number" || got != "integer") {
		*out = append(*out, specViolation{fmt.Sprintf("%s: %s, not %s", where, got, s.typ), at})
		return
	}
	switch s.typ {
	case "string":
		if len(s.enum) > 0 && !slices.Contains(s.enum, v.(string)) {
			*out = append(*out, specViolation{fmt.Sprintf("%s: %q not in %v", where, v, s.enum), at})
		}
	case "array":
		seen := map[string]bool{}
		for i, item := range v.([]any) {
			if s.items != nil {
				s.items.checkValue(fmt.Sprintf("%s[%d]", at, i), item, out)
			}
			if b, _ := json.Marshal(item); s.unique && seen[string(b)] {
				*out = append(*out, specViolation{where + ": items not unique", at})
			} else {
				seen[string(b)] = true
			}
		}
	case "object":
		obj := v.(map[string]any)
		for _, r := range s.required {
			if _, ok := obj[r]; !ok {
				*out = append(*out, specViolation{fmt.Sprintf("%s: no %s", where, r), at})
			}
		}
		for k, fv := range obj {
			if ps, declared := s.props[k]; declared {
				ps.name = s.propName(k, ps)
				ps.checkValue(at+"."+k, fv, out)
			}
		}
	}
}

// propName names a property's schema in violations: its own name for a
// named object, else Schema.property.
func (s specSchema) propName(k string, ps specSchema) string {
	if ps.name != "" && ps.typ == "object" {
		return ps.name
	}
	if s.name == "" {
		return ""
	}
	return s.name + "." + k
}

func jsonType(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// exchange is one request the SDK sent and the answer it got.
type exchange struct {
	method, path, query, contentType string
	body                             []byte
	status                           int
	answerType                       string
	answer                           []byte
}

// recordingTransport records every exchange that passes through it.
type recordingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchange{method: req.Method, path: req.URL.EscapedPath(), query: req.URL.RawQuery, contentType: req.Header.Get("Content-Type")}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		ex.body = body
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	ex.status, ex.answerType, ex.answer = resp.StatusCode, resp.Header.Get("Content-Type"), answer
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
	return resp, nil
}

// specFind returns the operation of method and path (below /rest), and the
// values of its path parameters.
func specFind(method, path string) (*specOperation, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range specOperations {
		op := &specOperations[i]
		tmpl := strings.Split(strings.Trim(op.path, "/"), "/")
		if op.method != method || len(tmpl) != len(segs) {
			continue
		}
		match := true
		for j, t := range tmpl {
			if !strings.HasPrefix(t, "{") && t != segs[j] {
				match = false
				break
			}
		}
		if match {
			return op, true
		}
	}
	return nil, false
}

// violations checks one exchange against the specification.
func (ex exchange) violations(op *specOperation) []specViolation {
	var out []specViolation
	q, err := url.ParseQuery(ex.query)
	if err != nil {
		out = append(out, specViolation{"query: " + err.Error(), ex.query})
	}
	for name, vals := range q {
		typ, declared := op.query[name]
		switch {
		case !declared:
			out = append(out, specViolation{"query " + name, ex.query})
		case typ == "number" && strings.Trim(vals[0], "0123456789") != "":
			out = append(out, specViolation{"query " + name + ": not a number", ex.query})
		}
	}
	switch {
	case op.body == nil && len(ex.body) > 0:
		out = append(out, specViolation{"request body: none declared", string(ex.body)})
	case op.body != nil:
		if mt, _, _ := mime.ParseMediaType(ex.contentType); mt != "application/json" {
			out = append(out, specViolation{"request content type " + ex.contentType, ""})
		}
		for _, v := range decodeSpecJSON(ex.body, &out) {
			for k := range v.(map[string]any) {
				if _, declared := op.body.props[k]; !declared {
					out = append(out, specViolation{"request body field " + k, string(ex.body)})
				}
			}
			op.body.checkValue("request", v, &out)
		}
	}
	schema, declared := op.answers[ex.status]
	if !declared {
		return append(out, specViolation{fmt.Sprintf("status %d", ex.status), string(ex.answer)})
	}
	if schema == nil {
		if len(bytes.TrimSpace(ex.answer)) > 0 {
			out = append(out, specViolation{"answer: a body where none is declared", string(ex.answer)})
		}
		return out
	}
	if mt, _, _ := mime.ParseMediaType(ex.answerType); mt != "application/json" {
		out = append(out, specViolation{"answer content type " + ex.answerType, ""})
	}
	for _, v := range decodeSpecJSON(ex.answer, &out) {
		if op.id == "getUsers_2" && ex.status == http.StatusOK {
			out = append(out, specViolation{"answer: the user list is paged", ""})
			schema = ptr(specPage(specApplicationUser))
		}
		schema.checkValue("answer", v, &out)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// decodeSpecJSON decodes b with UseNumber; it returns nothing, and records a
// violation, when b is not one JSON value.
func decodeSpecJSON(b []byte, out *[]specViolation) []any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		*out = append(*out, specViolation{"not JSON", string(b)})
		return nil
	}
	return []any{v}
}

// setAside reports whether v is one of the specification's known errors for
// op; with sendsNulls false (a 9.x server), the nulls of 8.x are not.
func setAside(op *specOperation, v specViolation, sendsNulls bool) bool {
	for _, k := range specKnownErrors {
		if v.key == k.what && strings.HasPrefix(op.id, k.operation) && (sendsNulls || !k.nulls) {
			return true
		}
	}
	return false
}

// driveEveryCall makes every call of the SDK against the fake, as a user
// with the rights each needs, and some that the fake refuses.
func driveEveryCall(t *testing.T, url string, rt http.RoundTripper) {
	t.Helper()
	ctx := context.Background()
	client := func(user, password string) *accesstokens.Client {
		c, err := accesstokens.NewClient(url, accesstokens.WithBasicAuth(user, password),
			accesstokens.WithRetry(accesstokens.RetryPolicy{}), accesstokens.WithHTTPClient(&http.Client{Transport: rt}))
		require.NoError(t, err)
		return c
	}
	alice := client(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	admin := client(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword)
	bob := client(accesstokenstest.DemoBob, accesstokenstest.DemoBobPassword)

	_, err := alice.Directory.ServerInfo(ctx)
	require.NoError(t, err)
	for _, c := range []*accesstokens.Client{admin, alice} { // alice is refused the admin list, and reads the plain one
		for _, err := range c.Directory.Users(ctx) {
			require.NoError(t, err)
		}
		for _, err := range c.Directory.Projects(ctx) {
			require.NoError(t, err)
		}
		for _, err := range c.Directory.Repositories(ctx) {
			require.NoError(t, err)
		}
	}

	name := "renamed"
	for _, sc := range []accesstokens.Scope{
		accesstokens.UserScope(accesstokenstest.DemoAlice),
		accesstokens.ProjectScope(accesstokenstest.DemoProject),
		accesstokens.RepoScope(accesstokenstest.DemoProject, accesstokenstest.DemoRepo),
	} {
		perms := []accesstokens.Permission{accesstokens.RepoRead}
		for _, days := range []int{0, 30} {
			_, err := alice.Tokens.Create(ctx, sc, accesstokens.CreateTokenRequest{Name: "spec", Permissions: perms, ExpiryDays: days})
			require.NoError(t, err)
		}
		page, err := alice.Tokens.List(ctx, sc, &accesstokens.ListOptions{Limit: 1})
		require.NoError(t, err)
		for _, err := range alice.Tokens.All(ctx, sc, &accesstokens.ListOptions{Limit: 1, Start: 0}) {
			require.NoError(t, err)
		}
		id := page.Values[0].ID
		_, err = alice.Tokens.Get(ctx, sc, id)
		require.NoError(t, err)
		_, err = alice.Tokens.Update(ctx, sc, id, accesstokens.UpdateTokenRequest{Name: &name})
		require.NoError(t, err)
		_, err = alice.Tokens.Update(ctx, sc, id, accesstokens.UpdateTokenRequest{Permissions: []accesstokens.Permission{accesstokens.RepoWrite}})
		require.NoError(t, err)
		require.NoError(t, alice.Tokens.Delete(ctx, sc, id))
		_, err = alice.Tokens.Get(ctx, sc, id)
		require.ErrorIs(t, err, accesstokens.ErrNotFound)
		_, err = alice.Tokens.Update(ctx, sc, id, accesstokens.UpdateTokenRequest{Name: &name})
		require.ErrorIs(t, err, accesstokens.ErrNotFound)
		require.ErrorIs(t, alice.Tokens.Delete(ctx, sc, id), accesstokens.ErrNotFound)
	}
	require.NoError(t, admin.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 90}))
	_, err = admin.Admin.GetExpiryPolicy(ctx)
	require.NoError(t, err)
	require.NoError(t, admin.Admin.DeleteExpiryPolicy(ctx))
	_, err = bob.Tokens.List(ctx, accesstokens.ProjectScope(accesstokenstest.DemoProject), nil)
	require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	_, err = bob.Tokens.Create(ctx, accesstokens.ProjectScope(accesstokenstest.DemoProject),
		accesstokens.CreateTokenRequest{Name: "no", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}})
	require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	_, err = alice.Tokens.List(ctx, accesstokens.ProjectScope("NOPE"), nil)
	require.ErrorIs(t, err, accesstokens.ErrNotFound)
}

func TestTrafficConformsToTheSpecification(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		version    string
		sendsNulls bool
	}{{"8.19.1", true}, {"9.4.3", false}} {
		t.Run("fake answering as "+tt.version, func(t *testing.T) {
			t.Parallel()
			const contextPath = "/bitbucket"
			srv := accesstokenstest.NewServer(accesstokenstest.WithContextPath(contextPath), accesstokenstest.WithServerVersion(tt.version))
			t.Cleanup(srv.Close)
			rt := &recordingTransport{next: http.DefaultTransport}

			driveEveryCall(t, srv.URL, rt)

			used := map[string]int{}
			policyCalls := 0
			for _, ex := range rt.log {
				path, ok := strings.CutPrefix(ex.path, contextPath+"/rest")
				require.True(t, ok, "%s %s is below the context path and /rest", ex.method, ex.path)
				if path == specAbsentPolicyPath {
					policyCalls++
					continue
				}
				op, ok := specFind(ex.method, path)
				if !assert.True(t, ok, "%s %s is an operation of the specification", ex.method, path) {
					continue
				}
				used[op.id]++
				for _, v := range ex.violations(op) {
					if !setAside(op, v, tt.sendsNulls) {
						t.Errorf("%s %s (%s) answered %d: %s (%.200s)", ex.method, ex.path, op.id, ex.status, v.key, v.detail)
					}
				}
			}
			for _, op := range specOperations {
				assert.Positive(t, used[op.id], "%s %s (%s) was exercised", op.method, op.path, op.id)
			}
			assert.Equal(t, 3, policyCalls, "the expiry policy's three calls, set aside")
		})
	}
}

// specAbsentPolicyPath is the expiry policy's endpoint, which the 9.4
// specification does not have.
const specAbsentPolicyPath = "/access-tokens/latest/admin"

func TestTheSpecificationChecksFindWhatDeparts(t *testing.T) {
	t.Parallel()
	page := specPage(specAccessToken)
	op := &specOperation{"getAllAccessTokens", http.MethodGet, "/access-tokens/latest/projects/{projectKey}", specPaging, nil,
		map[int]*specSchema{200: &page}}
	tests := []struct {
		name string
		ex   exchange
		want string
	}{
		{"an undeclared query parameter", exchange{query: "start=0&offset=3", status: 200, answerType: "application/json",
			answer: []byte(`{"isLastPage":true,"values":[]}`)}, "query offset"},
		{"a query number that is not one", exchange{query: "limit=ten", status: 200, answerType: "application/json",
			answer: []byte(`{"isLastPage":true,"values":[]}`)}, "query limit: not a number"},
		{"an undeclared status", exchange{status: 409, answer: []byte(`{}`)}, "status 409"},
		{"a wrong type", exchange{status: 200, answerType: "application/json", answer: []byte(`{"isLastPage":"yes"}`)},
			"page of RestAccessToken.isLastPage: string, not boolean"},
		{"an id that is a number", exchange{status: 200, answerType: "application/json",
			answer: []byte(`{"isLastPage":true,"values":[{"id":42}]}`)}, "RestAccessToken.id: integer, not string"},
		{"not JSON", exchange{status: 200, answerType: "text/html", answer: []byte(`<html>`)}, "not JSON"},
	}
	for _, tt := range tests {
		var keys []string
		for _, v := range tt.ex.violations(op) {
			keys = append(keys, v.key)
		}
		assert.Contains(t, keys, tt.want, tt.name)
	}
	create := &specOperations[1]
	require.Equal(t, "createAccessToken_2", create.id)
	var keys []string
	for _, v := range (exchange{body: []byte(`{"name":"x","permissions":["REPO_READ","REPO_READ"],"expires":3}`),
		contentType: "application/json", status: 200, answerType: "application/json", answer: []byte(`{}`)}).violations(create) {
		keys = append(keys, v.key)
	}
	assert.Contains(t, keys, "request body field expires")
	assert.Contains(t, keys, "RestAccessTokenRequest.permissions: items not unique")
}
