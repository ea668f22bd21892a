"""The optional broker sink: outbox events also published to RabbitMQ, NATS or Kafka
(through FastStream) when EVENTS_BROKER_URL is set.

RabbitMQ: topic exchange `kassa.events`, routing key = event type, persistent messages with
publisher confirms. NATS: subject `kassa.events.<type>`. Kafka: topic `kassa.events`, keyed
by event type. Each message carries the event id as its message id, so consumers can
deduplicate: like the webhooks, delivery is at least once.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

EXCHANGE = "kassa.events"
SUBJECT_PREFIX = "kassa.events."


class EventSink(Protocol):
    @staticmethod
    async def _open(broker: Any) -> None:
        """Connect, or release what a failed attempt left open before raising."""
        try:
            await broker.connect()
        except BaseException:
            with contextlib.suppress(Exception):
                await broker.stop()
            raise

    async def publish(self, event_id: str, event_type: str, body: bytes) -> None: ...

    async def close(self) -> None: ...


class _FastStreamSink:
    def __init__(self, url: str) -> None:
        self.url = url
        self.scheme = url.split("://", 1)[0].lower()
        self.broker: Any = None
        self.exchange: Any = None

    async def _connect(self) -> Any:
        if self.broker is not None:
            return self.broker
        if self.scheme in ("amqp", "amqps"):
            from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange

            broker: Any = RabbitBroker(self.url, logger=None)
            await self._open(broker)
            self.exchange = RabbitExchange(EXCHANGE, type=ExchangeType.TOPIC, durable=True)
            await broker.declare_exchange(self.exchange)
        elif self.scheme in ("nats", "tls"):
            from faststream.nats import NatsBroker

            broker = NatsBroker(self.url, logger=None)
            await self._open(broker)
        elif self.scheme == "kafka":
            from faststream.kafka import KafkaBroker  # needs the faststream[kafka] extra

            broker = KafkaBroker(self.url.split("://", 1)[1], logger=None)
            await self._open(broker)
        else:
            raise ValueError(f"unsupported EVENTS_BROKER_URL scheme {self.scheme!r}")
        self.broker = broker
        return broker

    @staticmethod
    async def _open(broker: Any) -> None:
        """Connect, or release what a failed attempt left open before raising."""
        try:
            await broker.connect()
        except BaseException:
            with contextlib.suppress(Exception):
                await broker.stop()
            raise

    async def publish(self, event_id: str, event_type: str, body: bytes) -> None:
        broker = await self._connect()
        if self.scheme in ("amqp", "amqps"):
            await broker.publish(
                body,
                exchange=self.exchange,
                routing_key=event_type,
                message_id=event_id,
                persist=True,
                content_type="application/json",
                timeout=10,
            )
        elif self.scheme == "kafka":
            await broker.publish(
                body, topic=EXCHANGE, key=event_type.encode(), headers={"message_id": event_id}
            )
        else:
            await broker.publish(
                body,
                subject=SUBJECT_PREFIX + event_type,
                headers={"Nats-Msg-Id": event_id},
                timeout=10,
            )

    async def close(self) -> None:
        if self.broker is not None:
            await self.broker.stop()
            self.broker = None


def sink_for(url: str | None) -> EventSink | None:
    return _FastStreamSink(url) if url else None
