"""The lab's data plane: the simulated "shop" service that really serves traffic in the lab's
simulated region (app instances, ALB front, autoscaler, payments, orders store, baseline traffic).

It talks to the control plane only through the AWS endpoint and the ``Effects`` seam; it never
imports the product's engine, probes or faults.
"""
