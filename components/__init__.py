"""The program's building blocks: one ComponentResource per module, each with its Args beside
it (network, dns, registry, database, bluegreen, ecs_service, bastion, observability, kms),
plus two named helper modules: `iam` (role scope and policy documents) and `instance`
(the hardened EC2 instance every component that runs one shares).

Components take typed Args, never read stack config, and pass what they offer their
neighbours as one value (`Network.subnets`, `Database.offer`, `BlueGreen.offer`).
"""
