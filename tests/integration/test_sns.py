"""SNS through the shared listener: topics and subscriptions with the aws CLI and boto3, the
SubscriptionConfirmation handshake with a real local HTTP subscriber, retried delivery, records."""

import json
import urllib.request

import botocore.exceptions
import pytest

from conftest import OTHER_KEY, OTHER_SECRET
from subscriber import Subscriber


@pytest.fixture
def subscriber():
    endpoint = Subscriber(fail_first=1)
    yield endpoint
    endpoint.close()


def test_subscribe_confirm_and_publish_reach_a_local_http_subscriber(server, subscriber):
    topic = server.aws("sns", "create-topic", "--name", "alerts")["TopicArn"]
    assert topic == "arn:aws:sns:us-east-1:123456789012:alerts"
    sns = server.client("sns")
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url)
    headers, confirmation = subscriber.next("SubscriptionConfirmation")
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as response:
        assert b"ConfirmSubscriptionResult" in response.read()
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert subscription["SubscriptionArn"].startswith(topic + ":")
    message_id = sns.publish(TopicArn=topic, Subject="hello", Message='{"s3Bucket":"b"}')["MessageId"]
    headers, notification = subscriber.next("Notification")
    assert notification["MessageId"] == message_id
    assert notification["TopicArn"] == topic and notification["Subject"] == "hello"
    assert json.loads(notification["Message"]) == {"s3Bucket": "b"}
    names = [e["record"]["eventName"] for e in server.records()]
    assert names[:3] == ["CreateTopic", "Subscribe", "ListSubscriptionsByTopic"] and "Publish" in names
    [create] = server.records_where(eventName="CreateTopic")
    assert create["record"]["eventSource"] == "sns.amazonaws.com"
    assert create["record"]["requestParameters"] == {"name": "alerts"}


def test_topics_are_invisible_to_other_accounts(server):
    topic = server.client("sns").create_topic(Name="private")["TopicArn"]
    other = server.client("sns", key=OTHER_KEY, secret=OTHER_SECRET)
    assert other.list_topics()["Topics"] == []
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        other.publish(TopicArn=topic, Message="x")
    assert denied.value.response["Error"]["Code"] == "AuthorizationError"
