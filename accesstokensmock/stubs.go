package accesstokensmock

import (
	"iter"
	"net/http"
	"slices"

	"github.com/bbdc-tools/accesstokens"
)

// Seq returns what a stub's All (or a DirectoryService listing) returns: an
// iterator over items, each with a nil error. It stops as soon as the loop
// over it stops, like the SDK's own iterators. The items are copied, so the
// iterator can be ranged over again and yields the same items each time.
func Seq[T any](items ...T) iter.Seq2[T, error] {
	items = slices.Clone(items)
	return func(yield func(T, error) bool) {
		for _, item := range items {
			if !yield(item, nil) {
				return
			}
		}
	}
}

// SeqWithError is [Seq] followed by err, with T's zero value beside it: the
// shape of a walk that breaks half-way (the SDK's All yields a failed page's
// error once and stops). A nil err makes it the same as Seq(items...).
func SeqWithError[T any](err error, items ...T) iter.Seq2[T, error] {
	seq := Seq(items...)
	if err == nil {
		return seq
	}
	return func(yield func(T, error) bool) {
		for item := range seq {
			if !yield(item, nil) {
				return
			}
		}
		var zero T
		yield(zero, err)
	}
}

// NewError returns the *accesstokens.Error a server answering status with
// message would produce: Messages holds one entry with the message and the
// exception name Bitbucket sends for that status, so errors.Is matches the
// same sentinels (errors.Is(NewError(404, "…"), accesstokens.ErrNotFound)) and
// errors.As finds it.
//
// Exception names: 400 com.atlassian.bitbucket.validation.ArgumentValidationException;
// 401 and 403 com.atlassian.bitbucket.AuthorisationException, Bitbucket's "not
// permitted" answer, so these also match accesstokens.ErrNotPermitted (for a
// failed login, which matches ErrAuthentication, set Messages[0].ExceptionName
// to com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException);
// 404 com.atlassian.bitbucket.NoSuchEntityException; none (JSON null) for
// other statuses, for which Bitbucket documents no name. ErrOutcomeUnknown
// never matches: only a lost answer gives it.
//
// Method, Path and RetryAfter stay zero, as nothing here knows them; set them
// on the result when the code under test reads them (a 429's RetryAfter, say).
func NewError(status int, message string) *accesstokens.Error {
	return &accesstokens.Error{
		StatusCode: status,
		Messages: []accesstokens.ErrorMessage{{
			Message:       message,
			ExceptionName: exceptionName(status),
		}},
	}
}

// Exception names real Bitbucket servers put in error bodies.
const (
	exceptionArgumentValidation = "com.atlassian.bitbucket.validation.ArgumentValidationException"
	exceptionAuthorisation      = "com.atlassian.bitbucket.AuthorisationException"
	exceptionNoSuchEntity       = "com.atlassian.bitbucket.NoSuchEntityException"
)

// exceptionName is the exception name Bitbucket sends with status, or "".
func exceptionName(status int) string {
	switch status {
	case http.StatusBadRequest:
		return exceptionArgumentValidation
	case http.StatusUnauthorized, http.StatusForbidden:
		return exceptionAuthorisation
	case http.StatusNotFound:
		return exceptionNoSuchEntity
	}
	return ""
}
