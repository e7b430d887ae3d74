"""Who may issue: organisations, accounts and tokens, signing keys, DIDs and the trust registry."""
