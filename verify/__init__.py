"""Who checks: verification of credentials, presentations and PDFs, the public page, exports."""
