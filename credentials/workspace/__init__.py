"""The organiser's workspace pages of issued credentials: the searchable list and a credential's page."""
