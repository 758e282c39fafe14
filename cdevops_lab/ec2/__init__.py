"""The lab's additions to EC2, which moto stores but does not *run*: API faults and insufficient
capacity answered by the gateway, and network ACLs that really cut a subnet off.

``models.py`` holds the network-ACL rule (when is a subnet blackholed), ``responses.py`` the
gateway's EC2 handling (refusals before moto, effects after moto's answer), ``exceptions.py``
EC2's error codes and XML error body. This is a simulation of a region, not EC2.
"""
