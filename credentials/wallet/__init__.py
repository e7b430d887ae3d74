"""Wallets: OpenID for Verifiable Credential Issuance 1.0 (pre-authorized code flow, `ldp_vc`) for the signed
credentials as issued. See README.md."""
