"""Holders: a volunteer's one place for credentials from every organisation. A holder is either a signed-in account
(an e-mail the volunteer proved) or a pseudonymous pocket reached by a secret link, which stores no personal data.
A credential is held by at most one holder, once the volunteer has confirmed it (by e-mail) or claimed it (by code)."""
