"""kafka-python 2.0 (Debian's python3-kafka) as the client-compatibility tests drive it.

  produce: sends the records of a JSON-lines file (key, value and header values in base64) to
           partition 0 with acks='all', then prints {"event": "produced", "offsets": [...],
           "api_version": [...]} with the offset each send was acknowledged at.
  consume: assign() + seek_to_beginning() without a consumer group, polls until --count records
           arrived, prints one JSON line per record (offset, key, value, headers) and then
           {"event": "end", "position": ..., "end_offset": ..., "api_version": [...]}.

--api-version 2.0.0 pins the version (kafka-python then sends fixed request versions); "auto"
lets kafka-python guess it from the broker's ApiVersions answer. Errors end the script with a
traceback on stderr and a non-zero status.
"""
import argparse
import base64
import json
import logging
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

POLL_MS = 500
REQUEST_TIMEOUT_MS = 60_000


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode(text)


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")


def api_version_arg(text):
    return None if text == "auto" else tuple(int(part) for part in text.split("."))


def produce(args):
    producer = KafkaProducer(
        bootstrap_servers=args.bootstrap.split(","),
        api_version=args.api_version,
        acks="all",
        retries=5,
        # One request in flight per connection: a retried batch can never overtake the next one.
        max_in_flight_requests_per_connection=1,
        linger_ms=5,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    futures = []
    with open(args.records, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            headers = [(name, unb64(value)) for name, value in record["h"]]
            futures.append(producer.send(args.topic, key=unb64(record["k"]), value=unb64(record["v"]), headers=headers, partition=0))
    producer.flush(timeout=args.deadline)
    offsets = [future.get(timeout=args.deadline).offset for future in futures]
    emit({"event": "produced", "offsets": offsets, "api_version": list(producer.config["api_version"])})
    producer.close(timeout=args.deadline)


def consume(args):
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap.split(","),
        api_version=args.api_version,
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
        fetch_max_wait_ms=POLL_MS,
    )
    partition = TopicPartition(args.topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    read = 0
    give_up_at = time.monotonic() + args.deadline
    while read < args.count:
        if time.monotonic() > give_up_at:
            raise TimeoutError(f"read {read} of {args.count} records within {args.deadline} s")
        for records in consumer.poll(timeout_ms=POLL_MS).values():
            for r in records:
                emit({"offset": r.offset, "key": b64(r.key), "value": b64(r.value), "headers": [[name, b64(value)] for name, value in r.headers]})
                read += 1
    end_offset = consumer.end_offsets([partition])[partition]
    emit({"event": "end", "position": consumer.position(partition), "end_offset": end_offset, "api_version": list(consumer.config["api_version"])})
    consumer.close(autocommit=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["produce", "consume"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--api-version", type=api_version_arg, default=None)
    parser.add_argument("--records", help="produce: the JSON-lines file of records")
    parser.add_argument("--count", type=int, default=0, help="consume: how many records to read")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.mode == "produce":
        produce(args)
    else:
        consume(args)


if __name__ == "__main__":
    main()
