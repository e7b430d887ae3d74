"""What is issued: volunteer records -> signed credentials, status lists, PDF certificates."""
