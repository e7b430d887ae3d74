"""Records: what a volunteer did, checked (`records`), drafted by the volunteer as a statement (`drafts`), moved
through one life cycle (`lifecycle`), and the use cases around them (`service`, `api`, `pages`)."""
