// The JSON shapes the fake sends, and how its records become them.

package accesstokenstest

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Wire types: what Bitbucket sends. Kept separate from the root package on purpose.

type wireHref struct {
	Href string `json:"href"`
}

type wireLinks struct {
	Self []wireHref `json:"self"`
}

type wireUser struct {
	Name         string    `json:"name"`
	EmailAddress *string   `json:"emailAddress"`
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
	Context       *string `json:"context"`
	Message       string  `json:"message"`
	ExceptionName *string `json:"exceptionName"`
}

type wireErrors struct {
	Errors []wireError `json:"errors"`
}

func (u *user) wire(base string) wireUser {
	w := wireUser{
		ID: u.id, Name: u.name, Slug: u.slug, DisplayName: u.displayName, Active: !u.inactive, Type: "NORMAL",
	}
	dir := "/users/"
	if u.service {
		w.Type, dir = "SERVICE", "/bots/"
	} else {
		email := u.email
		w.EmailAddress = &email
	}
	w.Links.Self = []wireHref{{Href: base + dir + u.slug}}
	return w
}

func (t *token) wire(base string) wireToken {
	return wireToken{
		ID: t.id, Name: t.name, CreatedDate: t.created.UnixMilli(), ExpiryDate: t.expiry.json(),
		LastAuthenticated: t.lastAuth.json(), Permissions: append([]string(nil), t.perms...),
		User: t.owner.wire(base),
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

func (p *project) wire(base string) wireProject {
	w := wireProject{Key: p.key, ID: p.id, Name: p.name, Description: p.description, Type: "NORMAL"}
	href := base + "/projects/" + url.PathEscape(p.key)
	if p.owner != nil {
		o := p.owner.wire(base)
		w.Type, w.Owner, href = "PERSONAL", &o, base+"/users/"+url.PathEscape(p.owner.slug)
	}
	w.Links.Self = []wireHref{{Href: href}}
	return w
}

func (rp *repo) wire(base string) wireRepo {
	w := wireRepo{
		Slug: rp.slug, ID: rp.id, Name: rp.name, HierarchyID: fmt.Sprintf("%020x", rp.id), ScmID: "git",
		State: "AVAILABLE", StatusMessage: "Available", Forkable: true, Archived: rp.archived,
		Project: rp.project.wire(base),
	}
	w.Links.Self = []wireHref{{Href: strings.TrimSuffix(w.Project.Links.Self[0].Href, "/") + "/repos/" +
		url.PathEscape(rp.slug) + "/browse"}}
	return w
}

func (u *user) wireAdmin(base string) wireAdminUser {
	return wireAdminUser{
		wireUser: u.wire(base), DirectoryName: "Bitbucket Internal Directory", Deletable: !u.service,
		LastAuthenticationTimestamp: millis(u.lastLogin), MutableDetails: !u.service, MutableGroups: !u.service,
	}
}
