// Bitbucket's error answers: the {"errors":[...]} envelope and its exception names.

package accesstokenstest

import "net/http"

// Exception names real servers put in error bodies.
const (
	ExceptionAuthorisation      = "com.atlassian.bitbucket.AuthorisationException"                        // 401: not permitted, or no credentials
	ExceptionAuthentication     = "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException" // 401: credentials did not authenticate
	ExceptionNoSuchUser         = "com.atlassian.bitbucket.user.NoSuchUserException"                      // 404
	ExceptionNoSuchProject      = "com.atlassian.bitbucket.project.NoSuchProjectException"                // 404
	ExceptionNoSuchRepository   = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"          // 404
	ExceptionNoSuchEntity       = "com.atlassian.bitbucket.NoSuchEntityException"                         // 404: unknown token
	ExceptionArgumentValidation = "com.atlassian.bitbucket.validation.ArgumentValidationException"        // 400
	// ExceptionInjectedFault marks the default body of an injected status fault; it is not a
	// Bitbucket name.
	ExceptionInjectedFault = "accesstokenstest.InjectedFault"
)

// apiError is an error answer: a status and one entry of the {"errors":[...]} envelope.
type apiError struct {
	status    int
	context   string // field name, "" for null
	message   string
	exception string // "" for null
	header    http.Header
}

// body is the error's envelope; a missing context or exception name is null, or left out when
// the server leaves nulls out (see WithServerVersion).
func (e *apiError) body(wc wireContext) wireErrors {
	we := wireError{Message: e.message, Context: wc.nullOr(), ExceptionName: wc.nullOr()}
	if e.context != "" {
		we.Context = &e.context
	}
	if e.exception != "" {
		we.ExceptionName = &e.exception
	}
	return wireErrors{Errors: []wireError{we}}
}

func badRequest(field, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, context: field, message: msg, exception: ExceptionArgumentValidation}
}

func notPermitted() *apiError {
	return &apiError{status: http.StatusUnauthorized, message: "You are not permitted to access this resource",
		exception: ExceptionAuthorisation}
}

func authFailed() *apiError {
	return &apiError{status: http.StatusUnauthorized,
		message:   "Authentication failed. Please check your credentials and try again.",
		exception: ExceptionAuthentication}
}

func notFound(exception, msg string) *apiError {
	return &apiError{status: http.StatusNotFound, message: msg, exception: exception}
}
