package accesstokens_test

import (
	"fmt"

	"github.com/bbdc-tools/accesstokens"
)

// A leaked secret names its token: every secret Bitbucket makes carries the
// token's id, so the token can be found and revoked without using the secret.
func ExampleSecret_TokenID() {
	leaked := accesstokens.NewSecret("BBDC-MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ")
	if id, ok := leaked.TokenID(); ok {
		fmt.Println("token", id)
	}
	_, ok := accesstokens.NewSecret("another-systems-token-0123456789").TokenID()
	fmt.Println("another system's token:", ok)
	// Output:
	// token 252973515069
	// another system's token: false
}

// A project or repository token acts as a bot user; its name, seen in an
// access log or an X-AUSERNAME header, says whose tokens it holds.
func ExampleParseBotUser() {
	for _, name := range []string{"access-token-user/2/1405", "access-token-user_1_42", "alice"} {
		bot, ok := accesstokens.ParseBotUser(name)
		switch {
		case !ok:
			fmt.Println(name, "is no token's bot")
		case bot.ProjectID != 0:
			fmt.Println(name, "holds the tokens of the project with id", bot.ProjectID)
		default:
			fmt.Println(name, "holds the tokens of the repository with id", bot.RepositoryID)
		}
	}
	// Output:
	// access-token-user/2/1405 holds the tokens of the repository with id 1405
	// access-token-user_1_42 holds the tokens of the project with id 42
	// alice is no token's bot
}
