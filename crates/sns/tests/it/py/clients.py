"""boto3 and the aws CLI against the SNS front of tests/it/clients.rs (argv[1] is its URL).

A local HTTP subscriber receives the SubscriptionConfirmation, confirms it by visiting the
SubscribeURL as a webhook would, then receives the Notification of a boto3 publish and of an
aws CLI publish. Prints one line per failed check and 'N passed, N failed'."""

import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import urllib.request

import boto3
import botocore.exceptions

ENDPOINT = sys.argv[1]
ACCOUNT = "123456789012"
REGION = "us-east-1"
ENV = dict(
    os.environ,
    AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    AWS_DEFAULT_REGION=REGION,
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
)
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAILED {name}: {detail}")


class Subscriber(http.server.BaseHTTPRequestHandler):
    received = queue.Queue()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        Subscriber.received.put((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def next_delivery():
    return Subscriber.received.get(timeout=10)


def aws(*args):
    aws_bin = os.path.join(os.path.dirname(sys.executable), "aws")
    completed = subprocess.run(
        [aws_bin, "sns", *args, "--endpoint-url", ENDPOINT, "--output", "json"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return completed


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Subscriber)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    sns = boto3.client(
        "sns",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ENV["AWS_SECRET_ACCESS_KEY"],
    )

    topic = sns.create_topic(
        Name="alerts",
        Attributes={"DisplayName": "Ops"},
        Tags=[{"Key": "team", "Value": "ops"}],
    )["TopicArn"]
    check("create_topic", topic == f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts", topic)
    again = sns.create_topic(Name="alerts")["TopicArn"]
    check("create_topic idempotent", again == topic, again)
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    check("display name", attributes.get("DisplayName") == "Ops", attributes)
    check("owner", attributes.get("Owner") == ACCOUNT, attributes)
    policy = json.loads(attributes["Policy"])
    check("default policy", policy["Statement"][0]["Resource"] == topic, policy)
    tags = sns.list_tags_for_resource(ResourceArn=topic)["Tags"]
    check("tags", tags == [{"Key": "team", "Value": "ops"}], tags)

    for index in range(102):
        sns.create_topic(Name=f"page-{index:03d}")
    listed = [
        t["TopicArn"]
        for page in sns.get_paginator("list_topics").paginate()
        for t in page["Topics"]
    ]
    check("paginated list_topics", len(listed) == 103 and topic in listed, len(listed))

    pending = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook)
    check("subscribe pending", pending["SubscriptionArn"] == "pending confirmation", pending)
    headers, body = next_delivery()
    confirmation = json.loads(body)
    check("confirmation type", headers.get("x-amz-sns-message-type") == "SubscriptionConfirmation", headers)
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as answer:
        confirmed_xml = answer.read().decode("utf-8")
    check("SubscribeURL confirms", "<SubscriptionArn>" + topic + ":" in confirmed_xml, confirmed_xml)
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    check("one confirmed subscription", len(subscriptions) == 1 and subscriptions[0]["Endpoint"] == hook, subscriptions)
    subscription = subscriptions[0]["SubscriptionArn"]

    message_id = sns.publish(
        TopicArn=topic,
        Subject="Alarm",
        Message="hello from boto3",
        MessageAttributes={
            "severity": {"DataType": "String", "StringValue": "high"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )["MessageId"]
    headers, body = next_delivery()
    notification = json.loads(body)
    check("notification id", notification["MessageId"] == message_id, notification)
    check("notification subscription header", headers.get("x-amz-sns-subscription-arn") == subscription, headers)
    check("notification message", notification["Message"] == "hello from boto3", notification)
    check(
        "notification attributes",
        notification["MessageAttributes"]
        == {"severity": {"Type": "String", "Value": "high"}, "blob": {"Type": "Binary", "Value": "AAE="}},
        notification,
    )

    published = aws("publish", "--topic-arn", topic, "--message", "hello from the cli")
    check("aws sns publish", published.returncode == 0, published.stderr)
    if published.returncode == 0:
        cli_id = json.loads(published.stdout)["MessageId"]
        headers, body = next_delivery()
        check("cli notification", json.loads(body)["MessageId"] == cli_id, body)
    listed = aws("list-subscriptions")
    check("aws sns list-subscriptions", listed.returncode == 0 and subscription in listed.stdout, listed.stderr)

    missing = aws("get-topic-attributes", "--topic-arn", f"arn:aws:sns:{REGION}:{ACCOUNT}:missing")
    check("aws cli NotFound", missing.returncode != 0 and "NotFound" in missing.stderr, missing.stderr)
    try:
        sns.get_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:missing")
        check("boto3 NotFound", False, "no error")
    except sns.exceptions.NotFoundException as error:
        check("boto3 NotFound", error.response["ResponseMetadata"]["HTTPStatusCode"] == 404, error.response)
    try:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
        check("boto3 InvalidParameter", False, "no error")
    except sns.exceptions.InvalidParameterException as error:
        check("boto3 InvalidParameter", "not supported" in error.response["Error"]["Message"], error.response)

    sns.unsubscribe(SubscriptionArn=subscription)
    headers, body = next_delivery()
    check("unsubscribe notice", json.loads(body)["Type"] == "UnsubscribeConfirmation", body)
    sns.delete_topic(TopicArn=topic)
    try:
        sns.get_topic_attributes(TopicArn=topic)
        check("deleted", False, "topic still there")
    except botocore.exceptions.ClientError as error:
        check("deleted", error.response["Error"]["Code"] == "NotFound", error.response)

    server.shutdown()
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
