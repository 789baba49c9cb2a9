"""confluent-kafka-python (Debian's python3-confluent-kafka, librdkafka 2.0) as the
client-compatibility tests drive it; the same JSON-lines interface as kafka_python_client.py.

  produce: sends the records of a JSON-lines file (key, value and header values in base64) to
           partition 0 with acks=all (and enable.idempotence when --idempotent), then prints
           {"event": "produced", "offsets": [...]} with each record's delivered offset, in send order.
  consume: assign() at OFFSET_BEGINNING without a group.id (so no group coordinator is involved),
           polls until --count records arrived, prints one JSON line per record and then
           {"event": "end", "low": ..., "high": ...} from get_watermark_offsets().
"""
import argparse
import base64
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

POLL_S = 0.5


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode(text)


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")


def produce(args):
    config = {
        "bootstrap.servers": args.bootstrap,
        "acks": "all",
        "enable.idempotence": args.idempotent,
        # A delivery that fails is reported inside the deadline, not after librdkafka's 5 minutes.
        "message.timeout.ms": int(args.deadline * 1000 / 2),
        "linger.ms": 5,
    }
    if not args.idempotent:
        # Without idempotence only one request in flight keeps a retried batch in order.
        config["max.in.flight.requests.per.connection"] = 1
    producer = Producer(config)
    offsets = []
    errors = []

    def delivered(index):
        def report(err, msg):
            if err is not None:
                errors.append(f"record {index}: {err}")
            else:
                offsets.append((index, msg.offset()))
        return report

    with open(args.records, encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            record = json.loads(line)
            headers = [(name, unb64(value)) for name, value in record["h"]]
            while True:
                try:
                    producer.produce(args.topic, key=unb64(record["k"]), value=unb64(record["v"]), headers=headers, partition=0, on_delivery=delivered(index))
                    break
                except BufferError:
                    producer.poll(POLL_S)  # the local queue is full: serve delivery reports, then try again
            producer.poll(0)
    remaining = producer.flush(args.deadline)
    if errors or remaining:
        raise KafkaException(f"{len(errors)} deliveries failed, {remaining} undelivered; first: {errors[:5]}")
    offsets.sort()
    emit({"event": "produced", "offsets": [offset for _, offset in offsets]})


def consume(args):
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False, "enable.auto.offset.store": False, "enable.partition.eof": False, "fetch.wait.max.ms": int(POLL_S * 1000)})
    partition = TopicPartition(args.topic, 0, OFFSET_BEGINNING)
    consumer.assign([partition])
    read = 0
    give_up_at = time.monotonic() + args.deadline
    while read < args.count:
        if time.monotonic() > give_up_at:
            raise TimeoutError(f"read {read} of {args.count} records within {args.deadline} s")
        msg = consumer.poll(POLL_S)
        if msg is None:
            continue
        if msg.error() is not None:
            raise KafkaException(msg.error())
        headers = [[name, b64(value)] for name, value in (msg.headers() or [])]
        emit({"offset": msg.offset(), "key": b64(msg.key()), "value": b64(msg.value()), "headers": headers})
        read += 1
    low, high = consumer.get_watermark_offsets(TopicPartition(args.topic, 0), timeout=args.deadline)
    emit({"event": "end", "low": low, "high": high})
    consumer.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["produce", "consume"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--group", default="flotilla-unused", help="consume: confluent-kafka insists on a group.id; assign() never joins it")
    parser.add_argument("--records", help="produce: the JSON-lines file of records")
    parser.add_argument("--count", type=int, default=0, help="consume: how many records to read")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds")
    args = parser.parse_args()
    if args.mode == "produce":
        produce(args)
    else:
        consume(args)


if __name__ == "__main__":
    main()
