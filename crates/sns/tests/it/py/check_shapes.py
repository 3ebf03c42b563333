"""Reads the cases written by tests/it/botocore.rs (operation, HTTP status, rendered XML, expected
parsed members) and parses each body with botocore's own query-protocol parser against the
operation's output shape from the sns 2010-03-31 model, exactly as boto3 and the aws CLI do.
Each expected member must be present with that value (dicts are compared as subsets, lists
element by element). Prints one line per failure and 'N passed, N failed'."""

import json
import sys

import botocore.session
from botocore.parsers import create_parser


def contains(expected, actual, path):
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a structure, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing from {sorted(actual)}")
            else:
                problems.extend(contains(value, actual[key], f"{path}.{key}"))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        problems = []
        for index, (e, a) in enumerate(zip(expected, actual)):
            problems.extend(contains(e, a, f"{path}[{index}]"))
        return problems
    if expected != actual:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        cases = json.load(handle)
    model = botocore.session.get_session().get_service_model("sns")
    parser = create_parser("query")
    passed = failed = 0
    for case in cases:
        operation = model.operation_model(case["operation"])
        response = {
            "body": case["body"].encode("utf-8"),
            "status_code": case["status"],
            "headers": {},
        }
        parsed = parser.parse(response, operation.output_shape)
        problems = contains(case["expect"], parsed, case["operation"])
        if problems:
            failed += 1
            for problem in problems:
                print(f"{case['name']}: {problem}")
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
