"""The lab gateway: the simulated region's one AWS endpoint (``server.py``), in front of moto.

It serves FIS itself and hands EC2 and DynamoDB requests to the lab's service folders
(``cdevops_lab.ec2``, ``cdevops_lab.dynamodb``) before and after forwarding them to moto.
"""

from cdevops_lab.gateway.server import Gateway

__all__ = ["Gateway"]
