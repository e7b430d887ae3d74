"""Exports of a volunteer's credentials for other systems (issue 8).

- `edc`: Europass EDC (European Learning Model 3.2) JSON-LD, and the "uploadable" wrapping the Europass issuer takes;
  `display` renders the page image ELM requires; `shacl` expands offline and validates against the bundled shapes.
- `clr`: a CLR 2.0 `ClrCredential` bundling a volunteer's credentials as issued; `platform` is the service's own
  signing identity (did:web of the service) that signs it, its key in `store`.
- `table`: CSV, one row per credential.
- `service`: the use cases over the database and who may call them; `cli`: `volcred export`.
The HTTP routes are in `verify.exports.api`.
"""
