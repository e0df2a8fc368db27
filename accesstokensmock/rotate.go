package accesstokensmock

import (
	"github.com/stretchr/testify/mock"

	"github.com/bbdc-tools/accesstokens"
)

// Expectations for the calls accesstokens.Rotate makes, in the order it
// makes them, so that a strict MockTokensService can stand in for a server
// under code that rotates tokens.

// RotateCalls holds the expectations ExpectRotate and ExpectRotateStart
// set, one per call of a rotation. Refine any of them (Run, another Return)
// before Rotate runs; each is expected once.
type RotateCalls struct {
	Get    *MockTokensService_Get_Call    // reads the old token
	All    *MockTokensService_All_Call    // lists the scope, always, before the create
	Create *MockTokensService_Create_Call // makes the new token; nil from ExpectRotateStart
	Delete *MockTokensService_Delete_Call // revokes the old token; nil from ExpectRotateStart
}

// ExpectRotateStart expects on m the calls every accesstokens.Rotate makes
// before it creates, once each and in this order: Get of old.ID, answered
// with old, and All of scope, answered with old alone (give All another
// Return for a scope with more tokens). Rotate always lists the scope before
// it creates, to tell a token whose create answer was lost from the tokens
// already there, so a strict mock must expect All: marking it Maybe hides a
// change in Rotate's calls. Add the calls that follow for the case under
// test; ExpectRotate adds those of a successful rotation.
func ExpectRotateStart(m *MockTokensService, scope accesstokens.Scope, old accesstokens.AccessToken) *RotateCalls {
	get := m.EXPECT().Get(mock.Anything, scope, old.ID).Return(&old, nil)
	all := m.EXPECT().All(mock.Anything, scope, mock.Anything).Return(Seq(old))
	mock.InOrder(get.Once(), all.Once())
	return &RotateCalls{Get: get, All: all}
}

// ExpectRotate expects on m every call of a successful accesstokens.Rotate
// of old that revokes it, once each and in this order: those of
// ExpectRotateStart, then Create of req, answered with created, then Delete
// of old.ID. req is the request Rotate makes: with zero RotateOptions, old's
// name, permissions and ExpiryDays(). With RotateOptions.KeepOld, remove the
// Delete (calls.Delete.Unset()). A Deliver func runs between Create and
// Delete, and makes no call of its own.
func ExpectRotate(m *MockTokensService, scope accesstokens.Scope, old accesstokens.AccessToken, req accesstokens.CreateTokenRequest, created *accesstokens.RawAccessToken) *RotateCalls {
	calls := ExpectRotateStart(m, scope, old)
	calls.Create = m.EXPECT().Create(mock.Anything, scope, req).Return(created, nil)
	calls.Delete = m.EXPECT().Delete(mock.Anything, scope, old.ID).Return(nil)
	mock.InOrder(calls.All.Call, calls.Create.Once(), calls.Delete.Once())
	return calls
}
