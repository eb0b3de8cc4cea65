"""Frontend service: validates token and payload, enqueues the payload on SQS."""
