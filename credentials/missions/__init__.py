"""Missions: events and regular activities of an organisation, the volunteers on them (statuses and hours), and
issuing everyone finished at once through the batch runner (`missions`, `lifecycle`, `store`, `service`, `api`)."""
