"""What volunteering teaches: mission types mapped to ESCO competences, versioned, in Latvian and English.

This package sits at the root of the dependency chain (catalogue <- issuers <- credentials <- verify), so it also
holds the small pieces every package shares: message catalogues (`catalogue.i18n`).
"""
