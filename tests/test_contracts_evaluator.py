"""The IAM policy evaluator the contract checks rely on, against AWS's documented semantics
("Policy evaluation logic" and "Condition operators", IAM User Guide)."""

from __future__ import annotations

import pytest

from contracts.evaluator import Request, UnsupportedPolicy, decide, is_allowed


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(
    action: str | list[str] = "s3:GetObject", resource: str | list[str] = "*", **extra
) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(
    action: str | list[str] = "s3:GetObject", resource: str | list[str] = "*", **extra
) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def req(action: str = "s3:GetObject", resource: str = "arn:aws:s3:::b/k", **context) -> Request:
    return Request(action, resource, context)


def test_nothing_is_allowed_without_an_allow_statement():
    assert decide([doc()], req()) == "implicit-deny"


def test_an_explicit_deny_wins_over_an_allow():
    assert decide([doc(allow()), doc(deny())], req()) == "explicit-deny"


def test_actions_match_case_insensitively():
    assert is_allowed([doc(allow("S3:getobject"))], req("s3:GetObject"))


def test_action_wildcards_star_and_question_mark():
    assert is_allowed([doc(allow("s3:Get*"))], req("s3:GetObjectTagging"))
    assert is_allowed([doc(allow("s3:GetObjec?"))], req("s3:GetObject"))
    assert not is_allowed([doc(allow("s3:GetObjec?"))], req("s3:GetObjects"))


def test_resources_match_case_sensitively_with_wildcards():
    policy = [doc(allow(resource="arn:aws:s3:::b/.pulumi/*"))]
    assert is_allowed(policy, req(resource="arn:aws:s3:::b/.pulumi/stacks/x.json"))
    assert not is_allowed(policy, req(resource="arn:aws:s3:::B/.pulumi/stacks/x.json"))


def test_not_action_allows_everything_but_the_named_actions():
    policy = [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]
    assert is_allowed(policy, req("s3:PutObject"))
    assert not is_allowed(policy, req("iam:CreateRole"))


def test_not_resource_excludes_the_named_resources():
    policy = [
        doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/bootstrap/*"})
    ]
    assert is_allowed(policy, req(resource="arn:aws:s3:::b/.pulumi/x"))
    assert not is_allowed(policy, req(resource="arn:aws:s3:::b/bootstrap/x"))


def test_values_of_one_key_are_ored():
    policy = [
        doc(allow(Condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}))
    ]
    assert is_allowed(policy, req(**{"aws:RequestedRegion": "us-east-1"}))
    assert not is_allowed(policy, req(**{"aws:RequestedRegion": "us-west-2"}))


def test_keys_and_operators_are_anded():
    condition = {
        "StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:ResourceTag/Environment": "stage"}
    }
    policy = [doc(allow(Condition=condition))]
    both = {"aws:RequestedRegion": "us-east-1", "aws:ResourceTag/Environment": "stage"}
    assert is_allowed(policy, req(**both))
    assert not is_allowed(policy, req(**{**both, "aws:ResourceTag/Environment": "prod"}))


def test_condition_key_names_are_case_insensitive_values_are_not():
    policy = [doc(allow(Condition={"StringEquals": {"aws:resourcetag/environment": "stage"}}))]
    assert is_allowed(policy, req(**{"aws:ResourceTag/Environment": "stage"}))
    assert not is_allowed(policy, req(**{"aws:ResourceTag/Environment": "Stage"}))


def test_a_missing_key_fails_a_positive_operator_and_satisfies_a_negated_one():
    positive = [doc(allow(Condition={"StringEquals": {"aws:ResourceTag/Environment": "stage"}}))]
    negated = [doc(allow(Condition={"StringNotEquals": {"aws:ResourceTag/Environment": "prod"}}))]
    assert not is_allowed(positive, req())
    assert is_allowed(negated, req())


def test_if_exists_holds_when_the_key_is_missing():
    policy = [
        doc(allow(Condition={"StringEqualsIfExists": {"aws:ResourceTag/Environment": "stage"}}))
    ]
    assert is_allowed(policy, req())
    assert not is_allowed(policy, req(**{"aws:ResourceTag/Environment": "prod"}))


def test_null_tests_presence():
    absent = [doc(allow(Condition={"Null": {"aws:RequestTag/Environment": "true"}}))]
    present = [doc(allow(Condition={"Null": {"aws:RequestTag/Environment": "false"}}))]
    tagged = req(**{"aws:RequestTag/Environment": "stage"})
    assert is_allowed(absent, req()) and not is_allowed(absent, tagged)
    assert is_allowed(present, tagged) and not is_allowed(present, req())


def test_string_like_and_not_like_use_wildcards():
    like = [doc(allow(Condition={"StringLike": {"s3:prefix": ".pulumi/*"}}))]
    not_like = [doc(allow(Condition={"StringNotLike": {"s3:prefix": "bootstrap/*"}}))]
    assert is_allowed(like, req(**{"s3:prefix": ".pulumi/stacks/"}))
    assert not is_allowed(like, req(**{"s3:prefix": "bootstrap/x"}))
    assert is_allowed(not_like, req(**{"s3:prefix": ".pulumi/x"}))
    assert not is_allowed(not_like, req(**{"s3:prefix": "bootstrap/x"}))


def test_arn_like_and_arn_equals_match_arns():
    like = [doc(allow(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:ecs:*:123456789012:*"}}))]
    equals = [doc(allow(Condition={"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/X"}}))]
    assert is_allowed(
        like, req(**{"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:service/a"})
    )
    assert not is_allowed(like, req(**{"aws:SourceArn": "arn:aws:ecs:us-east-1:999999999999:x"}))
    assert is_allowed(equals, req(**{"iam:PolicyARN": "arn:aws:iam::aws:policy/X"}))
    assert not is_allowed(equals, req(**{"iam:PolicyARN": "arn:aws:iam::aws:policy/Y"}))


def test_bool_and_numeric_less_than():
    policy = [
        doc(
            allow(),
            deny(Condition={"Bool": {"aws:SecureTransport": "false"}}),
            deny(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        )
    ]
    assert is_allowed(policy, req(**{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}))
    assert not is_allowed(policy, req(**{"aws:SecureTransport": "false", "s3:TlsVersion": "1.3"}))
    assert not is_allowed(policy, req(**{"aws:SecureTransport": "true", "s3:TlsVersion": "1.0"}))


def test_for_any_value_needs_one_match_for_all_values_needs_every_one():
    any_of = [doc(allow(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["Environment"]}}))]
    all_of = [
        doc(
            allow(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["Environment", "Name"]}})
        )
    ]
    keys = req(**{"aws:TagKeys": ["Environment", "Owner"]})
    assert is_allowed(any_of, keys)
    assert not is_allowed(all_of, keys)
    assert is_allowed(all_of, req(**{"aws:TagKeys": ["Name"]}))
    # A missing key: ForAllValues holds (nothing to disagree), ForAnyValue does not.
    assert is_allowed(all_of, req()) and not is_allowed(any_of, req())


def test_a_boundary_intersects_with_the_identity_policy():
    identity = [doc(allow(["s3:GetObject", "iam:CreateUser"]))]
    boundary = [doc(allow("s3:*"))]
    assert is_allowed(identity, req(), [boundary])
    assert not is_allowed(identity, req("iam:CreateUser"), [boundary])
    assert not is_allowed([doc(allow("s3:PutObject"))], req(), [boundary])


def test_an_operator_it_does_not_implement_raises():
    policy = [doc(allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}))]
    with pytest.raises(UnsupportedPolicy):
        decide(policy, req())
