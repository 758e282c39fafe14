"""The lab's additions to DynamoDB, which moto stores but never throttles: provisioned capacity.

``models.py`` meters requests against each table's capacity, ``responses.py`` is the gateway's
DynamoDB handling (refuse, forward, charge), ``exceptions.py`` the throttling error. This is a
simulation of a region, not DynamoDB.
"""
