"""Bulk issuance: a spreadsheet read into records (`spreadsheet`), queued and issued by a worker (`service`,
`runner`), over HTTP (`api`) and the command line (`cli`); the tables in `store`."""
