"""A volunteer's own hours log: sessions they record for themselves (with a registered organisation or one named in
free text), private to their holder, and turned — for a registered organisation — into a statement in its inbox."""
