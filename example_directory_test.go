package accesstokens_test

import (
	"context"
	"fmt"
	"log"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// Bitbucket lists no server's tokens in one call: an inventory walks every
// user, project and repository. Client.Directory finds them.
func ExampleDirectoryService() {
	// A small generated server: 9 people, 4 projects, 14 repositories, 2 tokens in every scope.
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	defer srv.Close()
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	info, err := client.Directory.ServerInfo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.DisplayName, info.Version)

	var scopes []accesstokens.Scope
	for user, err := range client.Directory.Users(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if user.Type == "NORMAL" { // SERVICE users own the project and repository tokens
			scopes = append(scopes, accesstokens.UserScope(user.Slug))
		}
	}
	for project, err := range client.Directory.Projects(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		scopes = append(scopes, accesstokens.ProjectScope(project.Key))
	}
	archived := 0
	for repo, err := range client.Directory.Repositories(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if repo.Archived {
			archived++
		}
		scopes = append(scopes, accesstokens.RepoScope(repo.Project.Key, repo.Slug))
	}
	tokens := 0
	for _, scope := range scopes {
		for _, err := range client.Tokens.All(ctx, scope, nil) {
			if err != nil {
				log.Fatal(err)
			}
			tokens++
		}
	}
	fmt.Printf("%d scopes (%d archived repositories among them) hold %d tokens\n", len(scopes), archived, tokens)
	// Output:
	// Bitbucket 8.19.1
	// 27 scopes (3 archived repositories among them) hold 54 tokens
}
