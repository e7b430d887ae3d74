"""Exports of a volunteer's credentials for other systems (issue 8).

- `edc`: Europass EDC (European Learning Model 3.2) JSON-LD, and the "uploadable" wrapping the Europass issuer takes;
  `display` renders the page image ELM requires; `shacl` expands offline and validates against the bundled shapes.
- `clr`: a CLR 2.0 `ClrCredential` bundling a volunteer's credentials as issued, signed by the service's own
  identity (did:web of the service: `issuers.platform`, its keys in `issuers.platform_keys`).
- `table`: CSV, one row per credential.
- `service`: the use cases over the database and who may call them; `cli`: `volcred export`.
The HTTP routes are in `verify.exports.api`.
"""
