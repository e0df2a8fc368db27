package accesstokens

import (
	"encoding/json"
	"errors"
	"strconv"
)

// The directory's types in Bitbucket's JSON, and the client's checks that a
// listed value is what its endpoint returns.

// directoryUserOut is a DirectoryUser written in Bitbucket's JSON.
type directoryUserOut struct {
	User
	DirectoryName               string `json:"directoryName,omitempty"`
	LastAuthenticationTimestamp *int64 `json:"lastAuthenticationTimestamp,omitempty"`
}

// MarshalJSON writes the user as the admin user list does: the User's
// fields, "directoryName", and "lastAuthenticationTimestamp" in epoch
// milliseconds, left out when nil.
func (u DirectoryUser) MarshalJSON() ([]byte, error) {
	return json.Marshal(directoryUserOut{User: u.User, DirectoryName: u.DirectoryName,
		LastAuthenticationTimestamp: epochMillisPtr(u.LastAuthentication)})
}

// UnmarshalJSON reads a user of the admin or the plain user list. A
// "lastAuthenticationTimestamp" outside the years 1970 to 9999 is an error.
func (u *DirectoryUser) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var w directoryUserJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*u = w.convert()
	return nil
}

// serverInfoWire is application-properties as Bitbucket writes it.
type serverInfoWire struct {
	Version     string `json:"version"`
	BuildNumber string `json:"buildNumber"`
	BuildDate   string `json:"buildDate,omitempty"`
	DisplayName string `json:"displayName"`
}

// MarshalJSON writes the properties as Bitbucket does: "buildDate" a string
// of epoch milliseconds, left out when BuildDate is zero.
func (s ServerInfo) MarshalJSON() ([]byte, error) {
	w := serverInfoWire{Version: s.Version, BuildNumber: s.BuildNumber, DisplayName: s.DisplayName}
	if ms := epochMillis(s.BuildDate); ms != nil {
		w.BuildDate = strconv.FormatInt(*ms, 10)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads application-properties. An unreadable "buildDate"
// leaves BuildDate zero rather than failing: the version is what matters.
func (s *ServerInfo) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var w struct {
		Version     string   `json:"version"`
		BuildNumber string   `json:"buildNumber"`
		BuildDate   wireDate `json:"buildDate"`
		DisplayName string   `json:"displayName"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.Version, s.BuildNumber, s.BuildDate, s.DisplayName = w.Version, w.BuildNumber, w.BuildDate.t, w.DisplayName
	return nil
}

// serverInfoJSON is the application-properties answer: a ServerInfo, which
// reads its own JSON.
type serverInfoJSON = ServerInfo

// The wire forms of listed values: each is its public type, which reads its
// own JSON, with the client's check that the value is what the endpoint
// returns.

type projectJSON Project

func (p *projectJSON) check() error {
	if p.Key == "" {
		return errors.New(`no "key" in the project`)
	}
	return nil
}

func (p *projectJSON) convert() Project { return Project(*p) }

type repositoryJSON Repository

func (r *repositoryJSON) check() error {
	if r.Slug == "" {
		return errors.New(`no "slug" in the repository`)
	}
	if r.Project.Key == "" {
		return errors.New(`no "key" in the repository's project`)
	}
	return nil
}

func (r *repositoryJSON) convert() Repository { return Repository(*r) }

// directoryUserJSON is a user of either list as Bitbucket's JSON has it;
// only the admin list has directoryName and the timestamp.
type directoryUserJSON struct {
	User
	DirectoryName               string   `json:"directoryName"`
	LastAuthenticationTimestamp jsonTime `json:"lastAuthenticationTimestamp"`
}

func (u *directoryUserJSON) check() error {
	if u.Slug == "" {
		return errors.New(`no "slug" in the user`)
	}
	return nil
}

func (u *directoryUserJSON) convert() DirectoryUser {
	return DirectoryUser{User: u.User, DirectoryName: u.DirectoryName, LastAuthentication: u.LastAuthenticationTimestamp.ptr()}
}
