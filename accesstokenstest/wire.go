// The JSON shapes the fake sends, and how its records become them.

package accesstokenstest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Wire types: what Bitbucket sends. Kept separate from the root package on purpose.

// wireContext is what a record needs to be written: the base URL of its links, and whether
// fields that are null are left out (9.x and later) rather than sent as null (8.x).
type wireContext struct {
	base          string
	leaveNullsOut bool
}

// wireContext is how this fake writes records whose links start at base.
func (f *Fake) wireContext(base string) wireContext {
	return wireContext{base: base, leaveNullsOut: f.cfg.version.leavesNullsOut()}
}

// baseURL is the server's base URL as the request reached it, context path included.
func baseURL(r *http.Request, contextPath string) string {
	if r.TLS != nil {
		return "https://" + r.Host + contextPath
	}
	return "http://" + r.Host + contextPath
}

// nullOr is the value of an optional field: nil, which omitempty leaves out, when nulls are left
// out; otherwise a nil *string, which JSON writes as null. Only an interface field lets one field
// be a string, null or absent.
func (wc wireContext) nullOr() any {
	if wc.leaveNullsOut {
		return nil
	}
	return (*string)(nil)
}

type wireHref struct {
	Href string `json:"href"`
}

type wireLinks struct {
	Self []wireHref `json:"self"`
}

type wireUser struct {
	Name         string    `json:"name"`
	EmailAddress any       `json:"emailAddress,omitempty"` // *string: a string, null on 8.x, or absent (nil) on 9.x
	Active       bool      `json:"active"`
	DisplayName  string    `json:"displayName"`
	ID           int       `json:"id"`
	Slug         string    `json:"slug"`
	Type         string    `json:"type"`
	Links        wireLinks `json:"links"`
}

type wireToken struct {
	ID                string   `json:"id"`
	CreatedDate       int64    `json:"createdDate"`
	ExpiryDate        *int64   `json:"expiryDate,omitempty"`
	LastAuthenticated *int64   `json:"lastAuthenticated,omitempty"`
	Name              string   `json:"name"`
	Permissions       []string `json:"permissions"`
	User              wireUser `json:"user"`
	Token             string   `json:"token,omitempty"`
}

type wirePage[T any] struct {
	Size          int  `json:"size"`
	Limit         int  `json:"limit"`
	IsLastPage    bool `json:"isLastPage"`
	Start         int  `json:"start"`
	NextPageStart *int `json:"nextPageStart,omitempty"`
	Values        []T  `json:"values"`
}

type wireError struct {
	Context       any    `json:"context,omitempty"` // *string: a field name, null on 8.x, or absent (nil) on 9.x
	Message       string `json:"message"`
	ExceptionName any    `json:"exceptionName,omitempty"` // as Context
}

type wireErrors struct {
	Errors []wireError `json:"errors"`
}

// wire writes a user; a bot (SERVICE) has no email address. The email is never changed once a
// user exists, so pointing at it is safe after the lock is released.
func (u *user) wire(wc wireContext) wireUser {
	w := wireUser{
		ID: u.id, Name: u.name, Slug: u.slug, DisplayName: u.displayName, Active: !u.inactive, Type: "NORMAL",
	}
	dir := "/users/"
	if u.service {
		w.Type, dir, w.EmailAddress = "SERVICE", "/bots/", wc.nullOr()
	} else {
		w.EmailAddress = &u.email
	}
	w.Links.Self = []wireHref{{Href: wc.base + dir + u.slug}}
	return w
}

func (t *token) wire(wc wireContext) wireToken {
	return wireToken{
		ID: t.id, Name: t.name, CreatedDate: int64(t.created), ExpiryDate: t.expiry.json(),
		LastAuthenticated: t.lastAuth.json(), Permissions: append([]string(nil), t.perms...),
		User: t.owner.wire(wc),
	}
}

func millis(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// Wire types of the core REST API.

type wireAppProperties struct {
	Version     string `json:"version"`
	BuildNumber string `json:"buildNumber"`
	BuildDate   string `json:"buildDate"`
	DisplayName string `json:"displayName"`
}

type wireProject struct {
	Key         string    `json:"key"`
	ID          int       `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Public      bool      `json:"public"`
	Type        string    `json:"type"`
	Owner       *wireUser `json:"owner,omitempty"`
	Links       wireLinks `json:"links"`
}

type wireRepo struct {
	Slug          string      `json:"slug"`
	ID            int         `json:"id"`
	Name          string      `json:"name"`
	Description   string      `json:"description,omitempty"`
	HierarchyID   string      `json:"hierarchyId"`
	ScmID         string      `json:"scmId"`
	State         string      `json:"state"`
	StatusMessage string      `json:"statusMessage"`
	Forkable      bool        `json:"forkable"`
	Public        bool        `json:"public"`
	Archived      bool        `json:"archived"`
	Project       wireProject `json:"project"`
	Links         wireLinks   `json:"links"`
}

type wireAdminUser struct {
	wireUser
	DirectoryName               string `json:"directoryName"`
	Deletable                   bool   `json:"deletable"`
	LastAuthenticationTimestamp *int64 `json:"lastAuthenticationTimestamp,omitempty"`
	MutableDetails              bool   `json:"mutableDetails"`
	MutableGroups               bool   `json:"mutableGroups"`
}

func (p *project) wire(wc wireContext) wireProject {
	w := wireProject{Key: p.key, ID: p.id, Name: p.name, Description: p.description, Type: "NORMAL"}
	href := wc.base + "/projects/" + url.PathEscape(p.key)
	if p.owner != nil {
		o := p.owner.wire(wc)
		w.Type, w.Owner, href = "PERSONAL", &o, wc.base+"/users/"+url.PathEscape(p.owner.slug)
	}
	w.Links.Self = []wireHref{{Href: href}}
	return w
}

func (rp *repo) wire(wc wireContext) wireRepo {
	w := wireRepo{
		Slug: rp.slug, ID: rp.id, Name: rp.name, Description: rp.description, HierarchyID: fmt.Sprintf("%020x", rp.id), ScmID: "git",
		State: "AVAILABLE", StatusMessage: "Available", Forkable: true, Archived: rp.archived,
		Project: rp.project.wire(wc),
	}
	w.Links.Self = []wireHref{{Href: strings.TrimSuffix(w.Project.Links.Self[0].Href, "/") + "/repos/" +
		url.PathEscape(rp.slug) + "/browse"}}
	return w
}

func (u *user) wireAdmin(wc wireContext) wireAdminUser {
	return wireAdminUser{
		wireUser: u.wire(wc), DirectoryName: "Bitbucket Internal Directory", Deletable: !u.service,
		LastAuthenticationTimestamp: millis(u.lastLogin), MutableDetails: !u.service, MutableGroups: !u.service,
	}
}
