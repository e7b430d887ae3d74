"""Recognition levels: schemes set by the platform administrator, a volunteer's progress, level credentials signed by
the platform (see domain.py for the rules)."""
