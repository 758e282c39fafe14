"""The only place that builds boto3 clients: target endpoints, credentials, region, retries."""
