"""The offline plan: the real program run under Pulumi's mock engine, without an AWS account."""
