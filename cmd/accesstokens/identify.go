// The identify command: its flags, their checks before any request, and
// the choice between its two forms (a leaked secret, a user name).

package main

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bbdc-tools/accesstokens"
)

// identifyFormats are the values of identify's -o.
var identifyFormats = []string{"table", "json"}

// IdentifyOptions are identify's flags and dependencies, for its two forms:
// `identify --secret-from FILE|-` and `identify --user NAME`.
type IdentifyOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)
	// AskServer sends one request to baseURL authenticated by the leaked
	// secret and says whom the server took it for (--ask-server).
	AskServer func(ctx context.Context, baseURL string, secret accesstokens.Secret) (tokenUser, error)

	Format      string
	Concurrency int

	// identify --secret-from: the secret, read before any request, and the
	// token id it carries.
	SecretFrom string
	Secret     accesstokens.Secret
	TokenID    string
	Select     ScopeSelection // where to search; All when neither --all nor --scope is given
	AskWho     bool           // --ask-server
	Revoke     bool
	Yes        bool

	// identify --user
	User string
}

// NewCmdIdentify wires `accesstokens identify`. runF, when set, replaces
// runIdentify (tests of the flags, without a server).
func NewCmdIdentify(f *Factory, runF func(context.Context, *IdentifyOptions) error) *cobra.Command {
	opts := &IdentifyOptions{IO: f.IO, Connect: f.Connect, AskServer: f.askServer}
	var sel scopeFlags
	cmd := &cobra.Command{
		Use:   "identify (--secret-from FILE|- [--all | --scope SCOPE ...] [--ask-server] [--revoke [--yes]] | --user NAME)",
		Short: "Find which token a leaked secret or a user name from an access log belongs to",
		Long: `Find which token a leaked secret is, show it, and revoke it on request.

The secret is read from FILE, or from stdin with --secret-from - (without echo on
a terminal); never from the command line, where ps and the shell's history would
show it. It is never printed, logged or put in an error. Every secret Bitbucket
makes carries its token's id, so no request is needed to know the id; a value
that carries none is refused before anything is sent.

Which user, project or repository holds the token is not in the secret: identify
asks for the token by its id in one scope after another, those most likely to
hold it first (projects and repositories whose token bot has logged in, then those
with a token bot, then users who have logged in, then the rest), --concurrency at
a time, and stops at the first answer. --scope limits the search to the scopes
named (the default is --all: every user, project and repository).

--ask-server finds it with about three requests instead: it uses the leaked secret
itself for one request to the same server (application-properties, never
following a redirect) and reads which user the server took it for (X-AUSERNAME:
the owner of a personal token, or the bot user of a project or repository token).
That request counts as a use of the token: Bitbucket updates its last-used date,
which is why it is not the default. A secret the server refuses is no longer
valid (revoked, or expired); identify says so and searches by id.

--revoke shows what it would revoke; --revoke --yes revokes the token. Exit 1 when
no token matches (stderr says where it searched).

--user NAME takes a user name from Bitbucket's access log. For a token bot
(access-token-user/1/<project id>, access-token-user/2/<repository id>, or the
slug access-token-user_2_<id>) it says which project or repository the bot acts
for, and lists that scope's tokens; for a person, their personal tokens. Exit 1
when no such user, project or repository is found.

-o json prints {"token": TOKEN} ("revoked": true or false added with --revoke);
with --user, the list's array of TOKEN objects.`,
		Example: `  accesstokens identify --secret-from leaked.txt
  pbpaste | accesstokens identify --secret-from - --ask-server --revoke --yes
  accesstokens identify --secret-from leaked.txt --scope project:PLAT -o json
  accesstokens identify --user access-token-user/2/1405`,
		Args: noSecretArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parse(cmd, sel); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIdentify(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.SecretFrom, "secret-from", "", "read the leaked secret from `FILE`, or from stdin with -")
	sel.register(cmd)
	fl.BoolVar(&opts.AskWho, "ask-server", false, "ask the server whom the secret authenticates (counts as a use of the token: its last-used date changes)")
	fl.BoolVar(&opts.Revoke, "revoke", false, "revoke the token found; shows what it would do unless --yes")
	fl.BoolVar(&opts.Yes, "yes", false, "with --revoke: revoke, instead of showing what would be revoked")
	fl.StringVar(&opts.User, "user", "", "a user `NAME` from the access log (access-token-user/2/1405, or a person's name)")
	fl.IntVar(&opts.Concurrency, "concurrency", 8, "scopes asked at once while searching")
	fl.StringVarP(&opts.Format, "output", "o", "table", "output `FORMAT`: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", completeValues(identifyFormats...))
	cmd.SetFlagErrorFunc(identifyFlagError)
	return cmd
}

// noSecretArgs refuses positional arguments without repeating them: the
// one a user most likely typed there is the secret itself.
func noSecretArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments: the secret is read from a file or stdin (--secret-from FILE or -), never from the command line, where ps and the shell's history would show it", cmd.CommandPath())
	}
	return nil
}

// identifyFlagError reports a flag mistake without the text around it: an
// unknown shorthand is shown alone, never the word it was found in (which
// could be the secret, typed as "-BBDC...").
func identifyFlagError(cmd *cobra.Command, err error) error {
	var unknown *pflag.NotExistError
	if errors.As(err, &unknown) && unknown.GetSpecifiedShortnames() != "" {
		err = errors.New("unknown shorthand flag: -" + unknown.GetSpecifiedName()[:1])
	}
	return usageError("%v (see '%s --help')", err, cmd.CommandPath())
}

// parse checks the flags of the form chosen, and reads the secret, before any request.
func (o *IdentifyOptions) parse(cmd *cobra.Command, sel scopeFlags) error {
	if o.Format != "table" && o.Format != "json" {
		return usageError("-o %q: identify prints table or json", o.Format)
	}
	if o.Concurrency < 1 {
		return usageError("--concurrency: must be at least 1, got %d", o.Concurrency)
	}
	changed := cmd.Flags().Changed
	switch {
	case changed("user") && changed("secret-from"):
		return usageError("--user and --secret-from cannot be used together: identify one thing at a time")
	case changed("user"):
		return o.parseUserForm(changed, sel)
	case changed("secret-from"):
		return o.parseSecretForm(cmd, sel)
	}
	return usageError("identify needs --secret-from FILE (or - for stdin), or --user NAME (see 'accesstokens identify --help')")
}

// parseUserForm reads `identify --user NAME`.
func (o *IdentifyOptions) parseUserForm(changed func(string) bool, sel scopeFlags) error {
	for _, flag := range []string{"revoke", "yes", "ask-server"} {
		if changed(flag) {
			return usageError("--%s goes with --secret-from; --user lists a scope's tokens (revoke them with 'accesstokens revoke')", flag)
		}
	}
	if sel.all || len(sel.scopes) > 0 {
		return usageError("--all and --scope go with --secret-from: --user names the scope itself")
	}
	if strings.TrimSpace(o.User) == "" {
		return usageError("--user: must not be empty")
	}
	return nil
}

// parseSecretForm reads `identify --secret-from FILE|-`, the secret included.
func (o *IdentifyOptions) parseSecretForm(cmd *cobra.Command, sel scopeFlags) error {
	if o.Yes && !o.Revoke {
		return usageError("--yes goes with --revoke")
	}
	if sel.all || len(sel.scopes) > 0 {
		var err error
		if o.Select, err = sel.parse(); err != nil {
			return err
		}
	} else {
		o.Select = ScopeSelection{All: true}
	}
	if o.SecretFrom == "-" {
		if cmd.Flags().Changed("password-stdin") {
			return usageError("--secret-from - and --password-stdin both read stdin: put the secret in a file")
		}
	}
	secret, err := readLeakedSecret(o.SecretFrom, o.IO)
	if err != nil {
		return err
	}
	id, ok := secret.TokenID()
	if !ok {
		return usageError("--secret-from %s: not a Bitbucket access token secret (\"BBDC-\" and the base64 of a token id and 20 bytes, or the same without \"BBDC-\"): it carries no token id", describeSource(o.SecretFrom))
	}
	o.Secret, o.TokenID = secret, id
	return nil
}

func runIdentify(ctx context.Context, opts *IdentifyOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	if opts.User != "" {
		return runIdentifyUser(ctx, opts, conn)
	}
	return runIdentifySecret(ctx, opts, conn)
}
