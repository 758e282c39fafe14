"""Who signed a request, as the lab gateway sees it (``models.py``): the SigV4 credential scope
and the access key → role map learnt from STS AssumeRole answers; and the inline policies of
roles tagged ``lab:enforce-iam=true``, enforced action by action (``policy.py``). Part of a
simulation of a region; nothing is verified cryptographically.
"""
